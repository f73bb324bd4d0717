exports.handler = async (event) => ({ price: 42 });
