"""Drives edge over NATS alone, with a client edge did not write (nats-py):
discover the micro service, submit through it, follow the job's events on their subjects,
read the record from the KV bucket. Prints what it saw as one JSON object.

Usage: nats_client.py NATS_URL COMPONENT
"""

import asyncio
import json
import sys

import nats


async def main(url: str, component: str) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()

    # What `nats micro ls` / `nats micro info edge` ask.
    info = json.loads((await nc.request("$SRV.INFO.edge", b"", timeout=5)).data)

    job = {"component": component, "args": ["from", "nats"]}
    reply = await nc.request("edge.api.jobs.submit", json.dumps(job).encode(), timeout=10)
    if reply.headers and "Nats-Service-Error" in reply.headers:
        raise SystemExit(f"submit failed: {reply.headers}")
    job_id = json.loads(reply.data)["id"]

    events = await js.subscribe(f"edge.events.{job_id}.>", ordered_consumer=True)
    kinds = []
    while True:
        message = await events.next_msg(timeout=30)
        kind = message.subject.rsplit(".", 1)[1]
        kinds.append(kind)
        event = json.loads(message.data)
        if kind == "done":
            done_stdout = event["stdout"].get("text")
            break

    record = json.loads((await (await js.key_value("edge_jobs")).get(job_id)).value)
    fetched = json.loads((await nc.request("edge.api.jobs.get", job_id.encode(), timeout=5)).data)
    missing = await nc.request("edge.api.jobs.submit", b'{"component": "nope"}', timeout=5)
    listed = json.loads((await nc.request("edge.api.components.list", b"", timeout=5)).data)

    print(json.dumps({
        "service": info["name"],
        "endpoints": sorted(e["subject"] for e in info["endpoints"]),
        "kinds": kinds,
        "done_stdout": done_stdout,
        "record_status": record["status"],
        "record_stdout": record["stdout"].get("text"),
        "fetched_status": fetched["status"],
        "missing_code": (missing.headers or {}).get("Nats-Service-Error-Code"),
        "components": [c["name"] for c in listed["components"]],
    }))
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
