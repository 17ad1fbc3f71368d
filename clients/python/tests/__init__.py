import logging

# The feed's warnings (an issuer taken down on purpose) are expected here.
logging.getLogger("gatehouse_client").setLevel(logging.ERROR)
