"""Talking to an endpoint: boto3 and raw SigV4 HTTP recorded as exchanges, the rate limiter, the preflight."""
