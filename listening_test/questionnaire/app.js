/* nlc-bench listening-test questionnaire: plain JavaScript, no build step, works from file://.
 *
 * Reads window.NLC_STIMULI (written by `nlc-bench listening-test make` into stimuli.js),
 * takes one group (URL ?group=g01, otherwise drawn at random), plays its clips in a random
 * order per participant, collects the six 1-5 ratings per clip, and exports the CSV
 * `nlc-bench stats --manifest manifest.json` reads: participant,group,source_type,clip,question,rating.
 * The page is blind: it knows clip ids only, never which system a clip is (manifest.json,
 * the answer key, stays with the experimenter and maps clips to systems in `stats`).
 * Served by `nlc-bench listening-test serve`, it also POSTs the answers to api/responses.
 */
(function () {
  "use strict";

  var data = window.NLC_STIMULI;
  var params = new URLSearchParams(window.location.search);
  var COLUMNS = ["participant", "group", "source_type", "clip", "question", "rating"];

  function randomId() {
    var bytes = new Uint8Array(8);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function shuffle(items) {
    var out = items.slice();
    for (var i = out.length - 1; i > 0; i--) {
      var j = Math.floor(Math.random() * (i + 1));
      var tmp = out[i]; out[i] = out[j]; out[j] = tmp;
    }
    return out;
  }

  function csvCell(value) {
    var text = String(value);
    return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
  }

  function fail(message) {
    var status = document.getElementById("status");
    status.textContent = message;
    status.className = "error";
  }

  if (!data || !data.groups || !data.groups.length) {
    fail("stimuli.js is missing or empty: run `nlc-bench listening-test make` first.");
    return;
  }

  var participant = params.get("participant") || randomId();
  var wanted = params.get("group");
  var group = wanted ? data.groups.filter(function (g) { return g.group === wanted; })[0]
                     : data.groups[Math.floor(Math.random() * data.groups.length)];
  if (!group) { fail("Unknown group " + wanted + "."); return; }
  var clips = shuffle(group.clips);
  var played = {};
  var submitted = false;

  document.getElementById("participant").textContent = participant;
  document.getElementById("group").textContent = group.group;

  var form = document.getElementById("form");
  clips.forEach(function (clip, index) {
    var card = document.createElement("section");
    card.className = "clip";
    card.id = "clip-" + (index + 1);
    card.dataset.clip = clip.clip;
    var title = document.createElement("h2");
    title.textContent = "Clip " + (index + 1);
    card.appendChild(title);
    var audio = document.createElement("audio");
    audio.controls = true;
    audio.preload = "auto";
    audio.src = clip.file;
    audio.addEventListener("play", function () {
      played[clip.clip] = true;
      card.querySelectorAll("input").forEach(function (input) { input.disabled = false; });
      update();
    });
    card.appendChild(audio);
    var play = document.createElement("button");
    play.type = "button";
    play.className = "play";
    play.textContent = "Play clip " + (index + 1);
    play.addEventListener("click", function () {
      var attempt = audio.play();
      if (attempt && attempt.catch) { attempt.catch(function () { /* no audio device: the play event still counts */ }); }
    });
    card.appendChild(play);
    data.questions.forEach(function (question) {
      var row = document.createElement("fieldset");
      row.className = "question";
      var text = document.createElement("span");
      text.className = "text";
      text.textContent = question.text;
      row.appendChild(text);
      for (var value = 1; value <= 5; value++) {
        var label = document.createElement("label");
        var input = document.createElement("input");
        input.type = "radio";
        input.name = clip.clip + "__" + question.id;
        input.value = String(value);
        input.disabled = true;
        input.addEventListener("change", update);
        label.appendChild(input);
        var span = document.createElement("span");
        span.textContent = " " + value;
        label.appendChild(span);
        row.appendChild(label);
      }
      card.appendChild(row);
    });
    form.appendChild(card);
  });

  function answers() {
    var rows = [];
    clips.forEach(function (clip) {
      data.questions.forEach(function (question) {
        var checked = form.querySelector('input[name="' + clip.clip + "__" + question.id + '"]:checked');
        rows.push({ clip: clip.clip, question: question.id, rating: checked ? Number(checked.value) : null });
      });
    });
    return rows;
  }

  function toCsv(rows) {
    var lines = [COLUMNS.join(",")];
    rows.forEach(function (r) {
      lines.push([participant, group.group, group.source_type, r.clip, r.question, r.rating].map(csvCell).join(","));
    });
    return lines.join("\n") + "\n";
  }

  function update() {
    var rows = answers();
    var missing = rows.filter(function (r) { return r.rating === null; }).length;
    var unplayed = clips.filter(function (c) { return !played[c.clip]; }).length;
    clips.forEach(function (clip, index) {
      var done = rows.filter(function (r) { return r.clip === clip.clip && r.rating !== null; }).length;
      document.getElementById("clip-" + (index + 1)).classList.toggle("done", done === data.questions.length);
    });
    var complete = missing === 0 && unplayed === 0;
    document.getElementById("download").disabled = !complete;
    document.getElementById("submit").disabled = !complete || submitted || !/^https?:$/.test(window.location.protocol);
    document.getElementById("csv").value = complete ? toCsv(rows) : "";
    var status = document.getElementById("status");
    if (!submitted) {
      status.className = "";
      status.textContent = complete ? "All answered. Submit them, or download the CSV and send it to the experimenter."
        : unplayed + " clip(s) still to play, " + missing + " rating(s) still to give.";
    }
  }

  document.getElementById("download").addEventListener("click", function () {
    var blob = new Blob([toCsv(answers())], { type: "text/csv" });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "responses_" + participant + "_" + group.group + ".csv";
    document.body.appendChild(link);
    link.click();
    link.remove();
  });

  document.getElementById("submit").addEventListener("click", function () {
    var body = JSON.stringify({ participant: participant, group: group.group,
      answers: answers().map(function (r) { return { clip: r.clip, question: r.question, rating: r.rating }; }) });
    var status = document.getElementById("status");
    status.textContent = "Sending…";
    fetch("../api/responses", { method: "POST", headers: { "Content-Type": "application/json" }, body: body })
      .then(function (response) {
        return response.json().then(function (reply) { return { ok: response.ok, reply: reply }; });
      })
      .then(function (result) {
        if (!result.ok) { throw new Error(result.reply.error || "server error"); }
        submitted = true;
        status.textContent = "Thank you! Your answers are stored (" + result.reply.stored + " ratings).";
        status.className = "ok";
        update();
      })
      .catch(function (error) { fail("Not stored: " + error.message + ". Please download the CSV instead."); });
  });

  update();
})();
