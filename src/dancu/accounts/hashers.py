"""Password hashing: argon2id with OWASP's parameters (19 MiB, 2 passes, 1 lane).

Django's default argon2 settings use 100 MiB and 8 lanes: on a 2-core web node that makes every sign-in cost
~100 ms of CPU and lets a burst of sign-ins exhaust memory. OWASP's Password Storage Cheat Sheet lists m=19 MiB,
t=2, p=1 as the minimum recommended configuration; it is what we use, measured in bench/RESULTS.md.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
