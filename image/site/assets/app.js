// The download page: fills the pickers from the data embedded in the page
// (no requests, except HEAD for a size the generator did not know) and shows
// the chosen files. Every text goes in with textContent, never as HTML.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("site-data").textContent);
  const $ = (id) => document.getElementById(id);
  const pick = { arch: $("arch"), stream: $("stream"), version: $("version"), type: $("type") };
  const radios = { uncompressed: $("uncompressed"), compressed: $("compressed") };

  // A link only ever points at http(s); the generator checks it too.
  function safeURL(u) {
    try {
      const p = new URL(u, document.baseURI).protocol;
      return p === "http:" || p === "https:" ? u : "#";
    } catch (e) {
      return "#";
    }
  }
  function el(tag, text, attrs) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    return e;
  }
  function fill(sel, items, want) {
    sel.replaceChildren(...items.map(([value, label]) => el("option", label, { value: value })));
    const values = items.map((i) => i[0]);
    sel.value = values.includes(want) ? want : values.length ? values[0] : "";
  }
  function size(n) {
    if (n < 0) return "unknown";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let f = n, i = 0;
    while (f >= 1024 && i < units.length - 1) { f /= 1024; i++; }
    return i === 0 ? n + " B" : f.toFixed(1).replace(/\.0$/, "") + " " + units[i];
  }
  const base = (u) => decodeURIComponent(new URL(u, document.baseURI).pathname.split("/").pop());
  const streamOf = (name) => data.streams.find((s) => s.name === name);

  // The state lives in the location's hash, so a choice can be linked to.
  function fromHash() {
    const h = new URLSearchParams(location.hash.slice(1));
    return {
      arch: h.get("arch") || data.defaultArch, stream: h.get("stream") || data.defaultStream,
      version: h.get("version") || "", type: h.get("type") || "", compressed: h.get("compressed") === "1",
    };
  }

  // update refills every picker below the one that changed, keeping each
  // choice when the new list still has it, and draws the files.
  function update(want) {
    fill(pick.arch, data.arches.map((a) => [a, a]), want.arch);
    const arch = pick.arch.value;
    const streams = data.streams.filter((s) => s.releases.some((r) => r.images[arch]));
    fill(pick.stream, streams.map((s) => [s.name, s.name]), want.stream);
    const stream = streamOf(pick.stream.value);
    const releases = stream ? stream.releases.filter((r) => r.images[arch]) : [];
    fill(pick.version, releases.map((r, i) => [r.version, r.version + (i === 0 ? " (newest)" : "")]), want.version);
    const release = releases.find((r) => r.version === pick.version.value);
    const images = release ? release.images[arch] : [];
    fill(pick.type, images.map((img) => [img.type, img.label]), want.type);
    const image = images.find((img) => img.type === pick.type.value);
    const variants = image ? image.variants : [];
    const has = (c) => variants.some((v) => v.compressed === c);
    radios.compressed.disabled = !has(true);
    radios.uncompressed.disabled = !has(false);
    const compressed = has(want.compressed) ? want.compressed : has(true) && !has(false);
    radios.compressed.checked = compressed;
    radios.uncompressed.checked = !compressed;
    const variant = variants.find((v) => v.compressed === compressed);
    const packed = variants.find((v) => v.compressed);
    $("compressed-label").textContent = "compressed" + (packed ? " (." + packed.format.split(".").pop() + ")" : "");
    const h = new URLSearchParams({ arch: arch, stream: pick.stream.value, version: pick.version.value, type: pick.type.value });
    if (compressed) h.set("compressed", "1");
    history.replaceState(null, "", "#" + h.toString());
    draw(stream, release, arch, variant);
  }

  function draw(stream, release, arch, variant) {
    $("choice").hidden = !variant;
    $("empty").hidden = !!variant;
    if (!variant) return;
    const commit = (release.commits || {})[arch];
    $("release").textContent = "Stream " + stream.name + ", version " + release.version +
      (commit ? ", ostree commit " + commit : "") + (stream.lastModified ? "; stream updated " + stream.lastModified : "") + ".";
    const rows = [], cmds = [];
    for (const f of variant.files) {
      const tr = el("tr", undefined, { "data-role": f.role });
      const link = el("a", f.name, { href: safeURL(f.url), download: f.name, class: "file" });
      const td = el("td");
      td.append(el("span", f.role, { class: "role" }), link);
      const sz = el("td", size(f.size), { class: "size" });
      if (f.size < 0) headSize(f.url, sz);
      const sha = el("td", undefined, { class: "sha" });
      sha.append(el("code", f.sha256, { class: "sha256" }));
      if (f.uncompressedSHA256) sha.append(el("div", "uncompressed: " + f.uncompressedSHA256, { class: "usha" }));
      const sig = el("td");
      if (f.signature) sig.append(el("a", base(f.signature), { href: safeURL(f.signature), class: "sig" }));
      else sig.textContent = "none published";
      tr.append(td, sz, sha, sig);
      rows.push(tr);

      const abs = new URL(f.url, document.baseURI).href;
      cmds.push("curl -LO " + abs);
      if (f.signature) {
        cmds.push("curl -LO " + new URL(f.signature, document.baseURI).href);
        cmds.push("gpg --verify " + base(f.signature) + " " + f.name);
      } else {
        cmds.push("# " + f.name + ": no signature published");
      }
      cmds.push("echo '" + f.sha256 + "  " + f.name + "' | sha256sum -c");
      if (variant.compressed && f.uncompressedSHA256) {
        const plain = f.name.replace(/\.(xz|gz)$/, "");
        cmds.push((f.name.endsWith(".gz") ? "gzip" : "xz") + " -dk " + f.name);
        cmds.push("echo '" + f.uncompressedSHA256 + "  " + plain + "' | sha256sum -c");
      }
      cmds.push("");
    }
    $("files").tBodies[0].replaceChildren(...rows);
    $("verify").textContent = cmds.join("\n").trim();
  }

  // headSize asks the server for a size the generator did not know.
  function headSize(url, td) {
    fetch(url, { method: "HEAD" }).then((r) => {
      const n = r.headers.get("Content-Length");
      if (r.ok && n !== null) td.textContent = size(Number(n));
    }).catch(() => {});
  }

  const current = () => ({
    arch: pick.arch.value, stream: pick.stream.value, version: pick.version.value,
    type: pick.type.value, compressed: radios.compressed.checked,
  });
  for (const k in pick) pick[k].addEventListener("change", () => update(current()));
  for (const k in radios) radios[k].addEventListener("change", () => update(current()));
  $("pick").hidden = false;
  update(fromHash());
})();
