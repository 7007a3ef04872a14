/* nlc-bench listening-test questionnaire: plain JavaScript, no build step, works from file://.
 *
 * Reads window.NLC_STIMULI (written by `nlc-bench listening-test make` into stimuli.js),
 * takes one group (URL ?group=g01, otherwise drawn at random), plays its clips in a random
 * order per participant, collects the six 1-5 ratings per clip, and exports the CSV
 * `nlc-bench stats --manifest manifest.json` reads: participant,group,source_type,clip,question,rating.
 * The page is blind: it knows clip ids only, never which system a clip is (manifest.json,
 * the answer key, stays with the experimenter and maps clips to systems in `stats`).
 * Served by `nlc-bench listening-test serve`, it also POSTs the answers to api/responses,
 * with played_to_end: {clip: true|false} so that the server can refuse a clip not heard to its end.
 *
 * Each clip has exactly one play control (a Play/Pause button; the <audio> element has no
 * controls, hence no seek bar), and its ratings stay disabled until the clip has played to its
 * end (the audio "ended" event), as webMUSHRA's mustPlayback: ended. One clip plays at a time.
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
  var ended = {};  // clip id -> true once it has played to its end
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
    // One play control per clip: our button. The <audio> element has no controls (it is not
    // rendered), so there is no second play button and no seek bar to jump to the end.
    var audio = document.createElement("audio");
    audio.preload = "auto";
    audio.src = clip.file;
    var player = document.createElement("div");
    player.className = "player";
    var play = document.createElement("button");
    play.type = "button";
    play.className = "play";
    var position = document.createElement("progress");
    position.className = "position";
    position.max = 1;
    position.value = 0;
    position.setAttribute("aria-label", "Playback position of clip " + (index + 1));
    var hint = document.createElement("span");
    hint.className = "hint";
    function relabel() {
      play.textContent = !audio.paused ? "\u275a\u275a Pause clip " + (index + 1)
        : (ended[clip.clip] ? "\u25b6 Play clip " + (index + 1) + " again" : "\u25b6 Play clip " + (index + 1));
      hint.textContent = ended[clip.clip] ? "Played to the end: rate it below."
        : "Listen to the end to unlock the ratings.";
    }
    play.addEventListener("click", function () {
      if (!audio.paused) { audio.pause(); return; }
      var attempt = audio.play();
      if (attempt && attempt.catch) {
        attempt.catch(function (error) { hint.textContent = "Cannot play this clip (" + error.message + ")."; });
      }
    });
    audio.addEventListener("play", function () {
      // one clip at a time: starting a clip pauses the others
      form.querySelectorAll("audio").forEach(function (other) { if (other !== audio) { other.pause(); } });
      relabel();
    });
    audio.addEventListener("pause", relabel);
    audio.addEventListener("timeupdate", function () {
      if (audio.duration > 0) { position.value = audio.currentTime / audio.duration; }
    });
    audio.addEventListener("ended", function () {
      // the ratings unlock only once the clip has played to its end (webMUSHRA's mustPlayback: ended)
      ended[clip.clip] = true;
      position.value = 1;
      card.querySelectorAll("input").forEach(function (input) { input.disabled = false; });
      relabel();
      update();
    });
    audio.addEventListener("error", function () {
      hint.textContent = "This clip could not be loaded: please tell the experimenter.";
      hint.className = "hint error";
    });
    relabel();
    player.appendChild(play);
    player.appendChild(position);
    player.appendChild(hint);
    card.appendChild(player);
    card.appendChild(audio);
    var ratings = document.createElement("div");
    ratings.className = "ratings";
    card.appendChild(ratings);
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
      ratings.appendChild(row);
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
    var unplayed = clips.filter(function (c) { return !ended[c.clip]; }).length;
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
        : unplayed + " clip(s) still to play to the end, " + missing + " rating(s) still to give.";
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
    var playedToEnd = {};
    clips.forEach(function (clip) { playedToEnd[clip.clip] = ended[clip.clip] === true; });
    var body = JSON.stringify({ participant: participant, group: group.group,
      answers: answers().map(function (r) { return { clip: r.clip, question: r.question, rating: r.rating }; }),
      played_to_end: playedToEnd });
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
