/// The script and style the preview adds to served pages (never to the static report). The
/// script listens to `/_preview/events`, shows each cell's live state (queued, running with its
/// step line and growing loss curve, failed, stopped) and the saved file's errors, swaps in a
/// newer render without a reload (keeping the scroll position), and posts Run and Stop with the
/// token from the URL it was opened with. Every text from the server is set as text, never HTML.
enum PreviewClient {
    static let style = """
        #lb-bar{position:fixed;right:.6rem;bottom:.6rem;z-index:10;font:12px/1.4 system-ui,sans-serif;background:#222;color:#fff;padding:.25rem .6rem;border-radius:.3rem;opacity:.85}
        #lb-bar[data-state=live]{background:#1b5e20}
        #lb-problems{position:sticky;top:0;z-index:9;margin:0 auto;max-width:52rem;background:#fff4f4;border:2px solid #b00020;padding:.5rem 1rem;font:14px/1.45 ui-monospace,monospace}
        #lb-problems[hidden]{display:none}
        #lb-problems p{margin:.2rem 0}
        .lb-controls{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;font:12px/1.4 system-ui,sans-serif;margin:.2rem 0 .4rem}
        .lb-controls button{font:inherit;padding:.05rem .5rem;cursor:pointer}
        .lb-controls button[hidden]{display:none}
        .lb-state{color:#444}
        .lb-state[data-state=running]{color:#0d47a1;font-weight:600}
        .lb-state[data-state=failed]{color:#b00020;white-space:pre-wrap}
        section.cell[data-lb-state=running]>.cell-status,section.cell[data-lb-state=queued]>.cell-status{display:none}
        .lb-curve{display:block}
        .lb-curve[hidden]{display:none}

        """

    static let script = #"""
        (() => {
          "use strict";
          const boot = JSON.parse(document.getElementById("latentbook-preview").textContent);
          const fromURL = new URLSearchParams(location.search).get("token");
          if (fromURL) sessionStorage.setItem("latentbook-token", fromURL);
          const token = sessionStorage.getItem("latentbook-token");
          const versions = Object.assign({}, boot.versions);
          const live = {};
          const shown = slug => boot.page == null || boot.page === slug;

          const bar = document.createElement("div");
          bar.id = "lb-bar";
          bar.textContent = "preview: connecting";
          document.body.append(bar);
          const problems = document.createElement("div");
          problems.id = "lb-problems";
          problems.setAttribute("role", "alert");
          problems.hidden = true;
          document.body.prepend(problems);
          const say = (text, state) => { bar.textContent = text; bar.dataset.state = state || ""; };

          async function post(path, body) {
            if (!token) { say("preview: open the address with ?token= that latentbook preview printed to run cells"); return; }
            try {
              const r = await fetch(path, { method: "POST", body: JSON.stringify(body),
                headers: { "Content-Type": "application/json", "X-LatentBook-Token": token } });
              if (!r.ok) say("preview: " + r.status + " " + (await r.text()));
            } catch (e) { say("preview: " + e); }
          }

          function button(label, action) {
            const b = document.createElement("button");
            b.type = "button";
            b.textContent = label;
            b.dataset.action = action;
            return b;
          }

          function controls(section, slug, cell) {
            let c = section.querySelector(":scope > .lb-controls");
            if (c) return c;
            c = document.createElement("div");
            c.className = "lb-controls";
            const run = button("Run", "run"), down = button("Run with downstream", "downstream"), stop = button("Stop", "stop");
            run.onclick = () => post("/_preview/run", { notebook: slug, cell: cell, downstream: false });
            down.onclick = () => post("/_preview/run", { notebook: slug, cell: cell, downstream: true });
            stop.onclick = () => post("/_preview/stop", { notebook: slug });
            const state = document.createElement("span");
            state.className = "lb-state";
            const curve = document.createElementNS("http://www.w3.org/2000/svg", "svg");
            curve.setAttribute("class", "lb-curve");
            curve.setAttribute("width", "180"); curve.setAttribute("height", "44");
            curve.setAttribute("role", "img"); curve.setAttribute("aria-label", "loss by epoch");
            c.append(run, down, stop, state, curve);
            section.prepend(c);
            return c;
          }

          // The loss (solid) and held-out loss (dashed) of the finished epochs, x over all epochs.
          function drawCurve(svg, cell) {
            while (svg.firstChild) svg.firstChild.remove();
            const points = (cell && cell.epochs) || [];
            svg.hidden = points.length === 0;
            if (!points.length) return;
            const values = points.flatMap(p => [p.loss, p.validationLoss]).filter(v => typeof v === "number");
            const lo = Math.min(...values), hi = Math.max(...values), span = hi - lo || 1;
            const last = Math.max(cell.totalEpochs || 1, points[points.length - 1].epoch);
            const x = e => 4 + 172 * (last > 1 ? (e - 1) / (last - 1) : 0.5), y = v => 40 - 36 * (v - lo) / span;
            for (const [field, dash] of [["loss", ""], ["validationLoss", "3 2"]]) {
              const pts = points.filter(p => typeof p[field] === "number").map(p => x(p.epoch).toFixed(1) + "," + y(p[field]).toFixed(1));
              if (!pts.length) continue;
              const line = document.createElementNS("http://www.w3.org/2000/svg", pts.length > 1 ? "polyline" : "circle");
              if (pts.length > 1) { line.setAttribute("points", pts.join(" ")); line.setAttribute("fill", "none"); }
              else { const [cx, cy] = pts[0].split(","); line.setAttribute("cx", cx); line.setAttribute("cy", cy); line.setAttribute("r", "2"); }
              line.setAttribute("stroke", "#0d47a1"); line.setAttribute("stroke-width", "1.5");
              if (dash) line.setAttribute("stroke-dasharray", dash);
              svg.append(line);
            }
          }

          function decorate() {
            for (const [anchor, slug, cell] of boot.cells) {
              const section = document.getElementById(anchor);
              if (!section) continue;
              const c = controls(section, slug, cell);
              const state = (live[slug] && live[slug].cells[cell]) || null;
              section.dataset.lbState = state ? state.state : "done";
              const text = c.querySelector(".lb-state");
              text.dataset.state = state ? state.state : "";
              text.textContent = state ? (state.label && state.state === "running" ? state.label + ": " : "") + state.text : "";
              c.querySelector("[data-action=stop]").hidden = !state || state.state !== "running";
              drawCurve(c.querySelector(".lb-curve"), state);
            }
          }

          function showProblems() {
            const list = Object.values(live).filter(n => shown(n.slug)).flatMap(n => n.problems);
            problems.replaceChildren();
            problems.hidden = list.length === 0;
            for (const p of list) {
              const line = document.createElement("p");
              line.className = "lb-problem";
              line.textContent = p.file + ":" + p.line + ":" + p.column + ": " + p.severity + ": " + p.message;
              problems.append(line);
              if (p.hint) {
                const hint = document.createElement("p");
                hint.className = "lb-hint";
                hint.textContent = "hint: " + p.hint;
                problems.append(hint);
              }
            }
          }

          let fetching = false, pending = false;
          async function refresh() {
            if (fetching) { pending = true; return; }
            fetching = true;
            let ok = false;
            try {
              const r = await fetch(boot.page == null ? "/" : "/" + encodeURIComponent(boot.page) + ".html", { cache: "no-store" });
              if (!r.ok) throw new Error(r.status);
              const doc = new DOMParser().parseFromString(await r.text(), "text/html");
              const next = JSON.parse(doc.getElementById("latentbook-preview").textContent);
              const main = document.querySelector("main.report"), fresh = doc.querySelector("main.report");
              const y = window.scrollY;
              main.replaceWith(document.adoptNode(fresh));
              window.scrollTo(0, y);
              document.title = doc.title;
              boot.cells = next.cells;
              Object.assign(versions, next.versions);
              decorate();
              ok = true;
            } catch (e) {
              say("preview: could not fetch the new page (" + e.message + ")");
            } finally {
              fetching = false;
              // A render that finished while this one was on its way (not after a failed fetch,
              // which would only fail again at once; the next event retries).
              if (ok && Object.values(live).some(n => shown(n.slug) && n.version > (versions[n.slug] || 0))) pending = true;
              if (pending) { pending = false; refresh(); }
            }
          }

          const events = new EventSource("/_preview/events");
          events.onopen = () => say("preview: live", "live");
          events.onerror = () => say("preview: disconnected, retrying");
          events.addEventListener("notebook", e => {
            const n = JSON.parse(e.data);
            live[n.slug] = n;
            if (!shown(n.slug)) return;
            showProblems();
            if (n.version > (versions[n.slug] || 0)) refresh(); else decorate();
          });
          decorate();
        })();

        """#
}
