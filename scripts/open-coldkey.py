#!/usr/bin/python3
"""Opens a btcli coldkey with PyNaCl as bittensor does; prints its ss58Address. Usage: open-coldkey.py FILE PASSWORD"""
import json
import sys

from nacl import pwhash, secret

SALT = b"\x13q\x83\xdf\xf1Z\t\xbc\x9c\x90\xb5Q\x879\xe9\xb1"  # bittensor-wallet's fixed salt
data = open(sys.argv[1], "rb").read()
if data[:5] != b"$NACL":
    sys.exit("not a $NACL coldkey")
key = pwhash.argon2i.kdf(secret.SecretBox.KEY_SIZE, sys.argv[2].encode(), SALT,
                         opslimit=pwhash.argon2i.OPSLIMIT_SENSITIVE, memlimit=pwhash.argon2i.MEMLIMIT_SENSITIVE)
print(json.loads(secret.SecretBox(key).decrypt(data[5:]))["ss58Address"])
