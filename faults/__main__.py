"""``make faults``: every fault script in turn, each bounded in time.

Exit status 1 when one of them did not hold its expectations (or ran too long).
"""

import signal
import subprocess
import sys

SCRIPTS = [
    ("Redis arrêté → rapport en attente → Redis rétabli", "faults.redis_down", 300),
    ("Worker tué pendant la production → redélivrance", "faults.worker_kill", 300),
    ("PostgreSQL : connexions coupées puis redémarrage sous charge", "faults.pg_restart", 300),
]


def main() -> int:
    failed = []
    for title, module, timeout in SCRIPTS:
        print(f"\n=== {title} ({module}) ===", flush=True)
        process = subprocess.Popen([sys.executable, "-m", module, *sys.argv[1:]])
        try:
            ok = process.wait(timeout=timeout) == 0
        except subprocess.TimeoutExpired:
            print(f"*** {module} : plus de {timeout} s, interrompu", flush=True)
            # SIGINT first: the script's finally blocks stop its workers and its
            # Redis, and start PostgreSQL again if needed.
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            ok = False
        if not ok:
            failed.append(module)
    print("\n=== Bilan ===")
    for title, module, _ in SCRIPTS:
        print(f"  {'ÉCHEC' if module in failed else 'OK   '} {title}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
