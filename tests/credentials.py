"""Credential-shaped values the redaction and security tests feed the tool: each must be masked wherever it
appears. Written split in two so that no scanner takes this file for a leak."""

from __future__ import annotations

AWS_KEY_ID = "AKIA" + "Q3EXAMPLEQ3EXAMP"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
SHAPES = {
    "AWS access key id": AWS_KEY_ID,
    "AWS access key id (temporary)": "ASIA" + "Q3EXAMPLEQ3EXAMP",
    "GitHub token": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "GitHub OAuth token": "gho_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "GitHub user token": "ghu_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "GitHub app token": "ghs_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "GitHub refresh token": "ghr_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "GitHub fine-grained token": "github_" + "pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    "Slack token": "xox" + "b-1234567890-abcdefghijkl",
    "Slack user token": "xox" + "p-1234567890-abcdefghijkl",
    "Stripe key": "sk_" + "live_a1B2c3D4e5F6g7H8i9J0",
    "Stripe restricted key": "rk_" + "live_a1B2c3D4e5F6g7H8i9J0",
    "private key": "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
    "JWT": "eyJ" + "hbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    "URL with a password": "postgres://app:" + "hunter2@db.internal:5432/orders",
    "URL with a password and no user": "redis://:" + "hunter2@cache.internal:6379/0",
    "AWS secret access key next to its name": "aws_secret_access_key=" + AWS_SECRET,
    "AWS secret access key next to its id": f"{AWS_KEY_ID}:{AWS_SECRET}",
}
