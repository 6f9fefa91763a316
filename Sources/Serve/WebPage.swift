/// The page of `s2igan serve`: one HTML document with its style and script inline, so it works offline and needs
/// no build step. It records the microphone as 16-bit PCM WAV (Web Audio, so libsndfile reads it), takes a dropped
/// or chosen recording, or a text the server speaks, and shows every stage's image, the spectrogram of what was
/// heard, the nearest training captions and a gallery of the session's results. A seed field redraws the last
/// input.
enum WebPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>S2IGAN — speak a picture</title>
<style>
  :root { color-scheme: light dark; --accent: #2b6cb0; }
  body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; line-height: 1.4; }
  h1 { font-size: 1.4rem; margin: 0 0 .5rem; }
  fieldset { border: 1px solid #8886; border-radius: .5rem; margin: 0 0 1rem; padding: .75rem; }
  legend { font-weight: 600; }
  button, input, textarea { font: inherit; }
  button { padding: .5rem 1rem; border-radius: .4rem; border: 1px solid var(--accent); background: var(--accent); color: white; cursor: pointer; }
  button[aria-pressed="true"] { background: #c53030; border-color: #c53030; }
  button:focus-visible, input:focus-visible, textarea:focus-visible, #drop:focus-visible { outline: 3px solid #f6ad55; outline-offset: 2px; }
  #drop { border: 2px dashed #8888; border-radius: .5rem; padding: 1rem; text-align: center; }
  #drop.over { border-color: var(--accent); }
  textarea { width: 100%; box-sizing: border-box; }
  .row { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; }
  #stages { display: flex; flex-wrap: wrap; gap: .75rem; }
  #stages figure { margin: 0; }
  #stages img { width: 12rem; max-width: 100%; image-rendering: pixelated; border-radius: .3rem; }
  #spectrogram { max-width: 100%; height: 6rem; image-rendering: pixelated; }
  #gallery { display: flex; flex-wrap: wrap; gap: .5rem; padding: 0; list-style: none; }
  #gallery img { width: 5rem; border-radius: .3rem; }
  .error { color: #c53030; }
</style>
</head>
<body>
<h1>Speak a picture</h1>
<p>Describe a flower aloud, drop a recording, or type a sentence; the model draws it at every stage.</p>

<fieldset>
  <legend>Your voice</legend>
  <div class="row">
    <button id="record" type="button" aria-pressed="false">Record</button>
    <span id="recording-state" aria-live="polite">Not recording.</span>
  </div>
</fieldset>

<fieldset>
  <legend>A recording</legend>
  <div id="drop" tabindex="0" role="button" aria-describedby="drop-help">Drop a WAV file here, or choose one:
    <input id="file" type="file" accept="audio/*" aria-label="Choose a recording">
  </div>
  <p id="drop-help">WAV, FLAC or Ogg, at most 30 seconds.</p>
</fieldset>

<fieldset>
  <legend>A sentence</legend>
  <label for="text">Text the server speaks</label>
  <textarea id="text" rows="2" maxlength="400">this flower has five pink petals</textarea>
  <button id="speak" type="button">Speak and draw</button>
</fieldset>

<fieldset>
  <legend>Result</legend>
  <div class="row">
    <label for="seed">Seed</label>
    <input id="seed" type="number" min="0" step="1" value="100" inputmode="numeric">
    <button id="redraw" type="button" disabled>Redraw</button>
    <span id="status" role="status" aria-live="polite"></span>
  </div>
  <div id="stages" aria-label="Generated images at every stage"></div>
  <h2>What it heard</h2>
  <img id="spectrogram" alt="Log-mel spectrogram of the last input" hidden>
  <h2>Nearest training captions</h2>
  <ol id="neighbours"></ol>
</fieldset>

<fieldset>
  <legend>This session</legend>
  <ul id="gallery" aria-label="Earlier results"></ul>
</fieldset>

<script>
"use strict";
const $ = (id) => document.getElementById(id);
let last = null;            // {kind: "audio", blob} or {kind: "text", text}
let recorder = null;        // {context, stream, source, node, chunks}

function wav(chunks, rate) {
  const length = chunks.reduce((n, c) => n + c.length, 0);
  const buffer = new ArrayBuffer(44 + 2 * length), view = new DataView(buffer);
  const text = (offset, s) => { for (let i = 0; i < s.length; i++) view.setUint8(offset + i, s.charCodeAt(i)); };
  text(0, "RIFF"); view.setUint32(4, 36 + 2 * length, true); text(8, "WAVE");
  text(12, "fmt "); view.setUint32(16, 16, true); view.setUint16(20, 1, true); view.setUint16(22, 1, true);
  view.setUint32(24, rate, true); view.setUint32(28, 2 * rate, true); view.setUint16(32, 2, true); view.setUint16(34, 16, true);
  text(36, "data"); view.setUint32(40, 2 * length, true);
  let offset = 44;
  for (const c of chunks) for (let i = 0; i < c.length; i++, offset += 2) {
    const v = Math.max(-1, Math.min(1, c[i]));
    view.setInt16(offset, v < 0 ? v * 0x8000 : v * 0x7fff, true);
  }
  return new Blob([buffer], {type: "audio/wav"});
}

async function startRecording() {
  const stream = await navigator.mediaDevices.getUserMedia({audio: true});
  const context = new AudioContext();
  const source = context.createMediaStreamSource(stream);
  const chunks = [];
  const node = context.createScriptProcessor(4096, 1, 1);
  node.onaudioprocess = (e) => chunks.push(new Float32Array(e.inputBuffer.getChannelData(0)));
  source.connect(node); node.connect(context.destination);
  recorder = {context, stream, source, node, chunks};
}

async function stopRecording() {
  const r = recorder; recorder = null;
  r.source.disconnect(); r.node.disconnect();
  r.stream.getTracks().forEach((t) => t.stop());
  const rate = r.context.sampleRate;
  await r.context.close();
  return wav(r.chunks, rate);
}

$("record").addEventListener("click", async () => {
  const button = $("record");
  try {
    if (!recorder) {
      await startRecording();
      button.setAttribute("aria-pressed", "true"); button.textContent = "Stop";
      $("recording-state").textContent = "Recording… press Stop when you are done.";
    } else {
      const blob = await stopRecording();
      button.setAttribute("aria-pressed", "false"); button.textContent = "Record";
      $("recording-state").textContent = "Recorded " + Math.round(blob.size / 1024) + " KiB.";
      await send({kind: "audio", blob});
    }
  } catch (e) { showError("Recording failed: " + e.message); }
});

function takeFile(file) { if (file) send({kind: "audio", blob: file}); }
$("file").addEventListener("change", (e) => takeFile(e.target.files[0]));
const drop = $("drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); takeFile(e.dataTransfer.files[0]); });
drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); $("file").click(); } });
$("speak").addEventListener("click", () => send({kind: "text", text: $("text").value}));
$("redraw").addEventListener("click", () => { if (last) send(last); });

function showError(message) { const s = $("status"); s.textContent = message; s.className = "error"; }

async function send(input) {
  last = input; $("redraw").disabled = false;
  const seed = Math.max(0, parseInt($("seed").value || "0", 10));
  const status = $("status"); status.className = ""; status.textContent = "Drawing…";
  try {
    const response = input.kind === "text"
      ? await fetch("/v1/generate", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({text: input.text, seed})})
      : await fetch("/v1/generate?seed=" + seed, {method: "POST", headers: {"Content-Type": input.blob.type || "audio/wav"}, body: input.blob});
    const body = await response.json();
    if (!response.ok) { showError(body.error || ("HTTP " + response.status)); return; }
    show(body);
    const total = Object.values(body.timings_ms).reduce((a, b) => a + b, 0);
    status.textContent = "Drawn with seed " + body.seed + " in " + Math.round(total) + " ms.";
  } catch (e) { showError("The server did not answer: " + e.message); }
}

function show(body) {
  const stages = $("stages"); stages.replaceChildren();
  for (const image of body.images) {
    const figure = document.createElement("figure"), img = document.createElement("img"), caption = document.createElement("figcaption");
    img.src = "data:image/png;base64," + image.png; img.alt = "Generated image, " + image.size + " px";
    img.className = "stage"; img.dataset.size = image.size;
    caption.textContent = image.size + " px";
    figure.append(img, caption); stages.append(figure);
  }
  const spectrogram = $("spectrogram");
  spectrogram.src = "data:image/png;base64," + body.spectrogram; spectrogram.hidden = false;
  const list = $("neighbours"); list.replaceChildren();
  for (const n of body.neighbours) {
    const item = document.createElement("li"); item.textContent = n.text + " (" + n.similarity.toFixed(2) + ")"; list.append(item);
  }
  const largest = body.images[body.images.length - 1];
  const entry = document.createElement("li"), thumb = document.createElement("img");
  thumb.src = "data:image/png;base64," + largest.png;
  thumb.alt = (body.text ? "“" + body.text + "”" : "A recording") + ", seed " + body.seed;
  entry.append(thumb); $("gallery").prepend(entry);
}
</script>
</body>
</html>
"""#
}
