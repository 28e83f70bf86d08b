"""A small driver for headless Chromium over the DevTools protocol, Python
standard library only: Chromium is started with --remote-debugging-pipe, so
the protocol runs over two pipes (fd 3: commands to Chromium, fd 4: replies
and events, each message NUL-terminated JSON) and no port is opened.

Used by tests/integration/report_html.sh and bench/html/load.py."""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class CDPError(Exception):
    pass


class Browser:
    def __init__(self, binary, profile_dir, width=1280, height=900):
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()
        # high copies, so that placing them at 3 and 4 cannot overwrite one another
        a = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 20)
        b = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 20)

        def child():
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                "--user-data-dir=" + profile_dir, "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--disable-quic", "--mute-audio",
                "--window-size=%d,%d" % (width, height), "about:blank"]
        self.proc = subprocess.Popen(args, preexec_fn=child, close_fds=False,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        for fd in (to_chrome_r, from_chrome_w, a, b):
            os.close(fd)
        self._buf = b""
        self._id = 0
        self.events = []
        self.session = None
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target["targetId"], "flatten": True},
                                 session=False)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(domain + ".enable")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def _read(self, timeout):
        end = time.monotonic() + timeout
        while b"\0" not in self._buf:
            left = end - time.monotonic()
            if left <= 0:
                raise CDPError("no answer from Chromium within %.0f s" % timeout)
            ready, _, _ = select.select([self._r], [], [], left)
            if ready:
                chunk = os.read(self._r, 1 << 20)
                if not chunk:
                    raise CDPError("Chromium closed the pipe (exit %s)" % self.proc.poll())
                self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=True, timeout=60):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read(timeout)
            if m.get("id") == self._id:
                if "error" in m:
                    raise CDPError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, timeout=60):
        end = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read(max(0.01, end - time.monotonic())))

    def load(self, url, timeout=60):
        """Navigates and waits for the load event; returns the seconds it took."""
        self.events = [e for e in self.events if e.get("method") != "Page.loadEventFired"]
        t0 = time.monotonic()
        self.call("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired", timeout)
        return time.monotonic() - t0

    def eval(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in r:
            raise CDPError("evaluating %r: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def wait_for(self, expr, timeout=20):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.eval(expr):
                return True
            time.sleep(0.05)
        raise CDPError("still false after %s s: %s" % (timeout, expr))

    def click(self, selector):
        """A real mouse click (pressed and released) in the middle of the element."""
        box = self.eval("(function(){var e=document.querySelector(%s); if(!e) return null;"
                        "e.scrollIntoView({block:'center'}); var r=e.getBoundingClientRect();"
                        "return [r.left+r.width/2, r.top+r.height/2];})()" % json.dumps(selector))
        if not box:
            raise CDPError("nothing to click at " + selector)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1],
                                                   "button": "left", "clickCount": 1})

    def type_text(self, selector, text):
        self.click(selector)
        self.eval("document.querySelector(%s).select()" % json.dumps(selector))
        self.call("Input.insertText", {"text": text})

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def problems(self):
        """Script exceptions, dialogs (alert) and console errors (CSP) seen so far."""
        out = []
        for e in self.events:
            m = e.get("method")
            if m == "Runtime.exceptionThrown":
                out.append("exception: %s" % e["params"]["exceptionDetails"].get("text"))
            elif m == "Page.javascriptDialogOpening":
                out.append("dialog: %s" % e["params"].get("message"))
            elif m == "Log.entryAdded" and e["params"]["entry"].get("level") == "error":
                out.append("console: %s" % e["params"]["entry"].get("text"))
        return out

    def close(self):
        try:
            self.call("Browser.close", session=False, timeout=5)
        except (CDPError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._w)
        os.close(self._r)
