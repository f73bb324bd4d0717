"""Reproducing production incidents: read what CloudWatch Logs (and a DLQ dump) hold after an incident, rebuild
each function's timeline, and write a scenario that replays it; and write a run's logs in the same formats.

Files are read by a *file format* (filter-log-events JSON, Logs Insights JSON or CSV; `formats.py`), each line
by a *line format* (START/END/REPORT, the Python runtime's lines, Lambda's JSON log format, Powertools JSON;
`lines.py`), and what a line says about failures by *detectors* (botocore's error text, throttles, HTTP client
errors; `detectors.py`). All three are registries: a new format is one function and one decorator."""
