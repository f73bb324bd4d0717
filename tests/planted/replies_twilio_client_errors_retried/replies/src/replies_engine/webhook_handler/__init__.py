"""Stage 1: the webhook entry point (API Gateway REST, Lambda proxy) for WhatsApp, SMS and e-mail."""
