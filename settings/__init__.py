"""The service's settings: every environment variable the gateway and the campaign workers
read (service.py), and when a process counts as production and which secrets it then needs
(deployment.py). Below the gateway and the workers, so both read the same rules."""
