"""The operations API (bearer API_KEY): accounts, campaigns and payments, results, metrics;
its one authentication and its input readers."""
