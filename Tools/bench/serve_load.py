#!/usr/bin/env python3
"""Load test of `s2igan serve` (Python standard library only; no third-party packages).

    python3 Tools/bench/serve_load.py --url http://127.0.0.1:8080 --wav caption.wav --clients 1,4,16 --seconds 20

For each client count, that many threads send POST /v1/generate with the recording (each with its own keep-alive
connection) in a closed loop for --seconds, waiting Retry-After seconds after a 503, and the script prints one JSON line: requests per second answered 200,
latency percentiles of those, and the count of every status (503s are the queue limit; anything else is a failure).
"""
import argparse, http.client, json, statistics, threading, time, urllib.parse


def run(url, body, clients, seconds, seed):
    parts = urllib.parse.urlsplit(url)
    latencies, statuses, lock = [], {}, threading.Lock()
    deadline = time.monotonic() + seconds

    def client(index):
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
        n = 0
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                connection.request("POST", f"/v1/generate?seed={seed + index * 100000 + n}", body=body, headers={"Content-Type": "audio/wav"})
                response = connection.getresponse()
                response.read()
                status = response.status
                retry = response.getheader("Retry-After")
            except (OSError, http.client.HTTPException) as error:
                status, retry = f"error: {type(error).__name__}", None
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
            elapsed = time.monotonic() - started
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    latencies.append(elapsed)
            n += 1
            if status == 503 and retry:
                # A well-behaved client waits as the server asks.
                time.sleep(min(float(retry), max(0.0, deadline - time.monotonic())))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads: t.start()
    for t in threads: t.join()
    wall = time.monotonic() - started
    row = {"bench": "serve_generate", "clients": clients, "seconds": round(wall, 2), "statuses": {str(k): v for k, v in statuses.items()},
           "ok_per_s": round(len(latencies) / wall, 3)}
    if len(latencies) >= 2:
        q = statistics.quantiles(latencies, n=100, method="inclusive")
        row.update({"p50_ms": round(1000 * q[49], 1), "p90_ms": round(1000 * q[89], 1), "p99_ms": round(1000 * q[98], 1), "max_ms": round(1000 * max(latencies), 1)})
    return row


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", default="http://127.0.0.1:8080")
    p.add_argument("--wav", required=True)
    p.add_argument("--clients", default="1,4,16")
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    body = open(a.wav, "rb").read()
    for clients in [int(c) for c in a.clients.split(",")]:
        print(json.dumps(run(a.url, body, clients, a.seconds, a.seed)), flush=True)


if __name__ == "__main__":
    main()
