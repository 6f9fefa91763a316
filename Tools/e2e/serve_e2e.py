#!/usr/bin/env python3
"""Drives the page of `s2igan serve` in headless Chromium as a person would (Python standard library only).

    python3 Tools/e2e/serve_e2e.py --url http://127.0.0.1:PORT --wav caption.wav [--seconds 4] [--screenshot page.png]

Chromium (Debian's `chromium`, which scripts/setup.sh installs) is started with a fake microphone that plays
--wav (`--use-file-for-fake-audio-capture`) and driven over the DevTools protocol on a pipe
(`--remote-debugging-pipe`: JSON messages ending in a NUL byte, commands on fd 3, answers on fd 4). The script
opens the page, clicks Record, waits --seconds, clicks Stop, waits for the generated images and prints one JSON
line: every shown image's size and per-channel minimum, maximum and mean (read back through a canvas), the status
line, and the recording state. Exit status 0 when images appeared, 1 otherwise.
"""
import argparse, json, os, select, shutil, subprocess, sys, tempfile, time, base64

PAGE_SCRIPT = """(async () => {
  const sleep = (ms) => new Promise(r => setTimeout(r, ms));
  document.getElementById('record').click();
  await sleep(%d);
  document.getElementById('record').click();
  for (let i = 0; i < 480; i++) {
    const images = document.querySelectorAll('img.stage');
    if (images.length) {
      const out = [];
      for (const img of images) {
        await img.decode();
        const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
        const g = c.getContext('2d'); g.drawImage(img, 0, 0);
        const d = g.getImageData(0, 0, c.width, c.height).data;
        const low = [255, 255, 255], high = [0, 0, 0], sum = [0, 0, 0];
        for (let k = 0; k < d.length; k += 4) for (let ch = 0; ch < 3; ch++) {
          const v = d[k + ch]; sum[ch] += v; if (v < low[ch]) low[ch] = v; if (v > high[ch]) high[ch] = v;
        }
        out.push({size: img.naturalWidth, min: low, max: high, mean: sum.map(s => s / (d.length / 4))});
      }
      return JSON.stringify({images: out, status: document.getElementById('status').textContent,
                             recording: document.getElementById('recording-state').textContent,
                             neighbours: document.querySelectorAll('#neighbours li').length});
    }
    if (document.getElementById('status').className === 'error') break;
    await sleep(250);
  }
  return JSON.stringify({images: [], status: document.getElementById('status').textContent,
                         recording: document.getElementById('recording-state').textContent});
})()"""


class DevTools:
    def __init__(self, chromium, wav, profile):
        commands_read, self.commands = os.pipe()
        self.answers, answers_write = os.pipe()

        def descriptors():
            os.dup2(commands_read, 3)
            os.dup2(answers_write, 4)

        flags = ["--headless=new", "--no-sandbox", "--remote-debugging-pipe", "--use-fake-ui-for-media-stream",
                 "--use-fake-device-for-media-stream", f"--use-file-for-fake-audio-capture={wav}%noloop",
                 f"--user-data-dir={profile}", "--window-size=1000,1400", "about:blank"]
        self.process = subprocess.Popen([chromium] + flags, pass_fds=(3, 4), preexec_fn=descriptors,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(commands_read)
        os.close(answers_write)
        self.buffer, self.last = b"", 0

    def call(self, method, params=None, session=None, timeout=60):
        self.last += 1
        message = {"id": self.last, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                answer = json.loads(raw)
                if answer.get("id") == self.last:
                    if "error" in answer:
                        raise RuntimeError(f"{method}: {answer['error']}")
                    return answer.get("result", {})
            ready, _, _ = select.select([self.answers], [], [], 0.5)
            if ready:
                chunk = os.read(self.answers, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the pipe")
                self.buffer += chunk
        raise TimeoutError(f"{method}: no answer in {timeout} s")

    def close(self):
        try:
            self.call("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--wav", required=True)
    p.add_argument("--seconds", type=float, default=4)
    p.add_argument("--screenshot")
    p.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser") or "chromium")
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="s2igan-e2e-") as profile:
        browser = DevTools(a.chromium, os.path.abspath(a.wav), profile)
        try:
            target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            browser.call("Page.enable", session=session)
            browser.call("Page.navigate", {"url": a.url}, session=session)
            for _ in range(60):
                state = browser.call("Runtime.evaluate", {"expression": "document.readyState", "returnByValue": True}, session=session)
                if state.get("result", {}).get("value") == "complete":
                    break
                time.sleep(0.25)
            result = browser.call("Runtime.evaluate", {"expression": PAGE_SCRIPT % int(a.seconds * 1000), "awaitPromise": True,
                                                       "returnByValue": True}, session=session, timeout=180)
            value = json.loads(result["result"]["value"])
            if a.screenshot:
                shot = browser.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)
                with open(a.screenshot, "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
        finally:
            browser.close()
    print(json.dumps(value))
    return 0 if value["images"] else 1


if __name__ == "__main__":
    sys.exit(main())
