"""Running the whole service locally: the process stack, the borrower simulator and
the load benchmark. Used by `./repay`, the end-to-end tests and the benchmark."""
