// The orchestrator console's only script: the confirmation dialog, and a run page that follows its run.
// Server-rendered HTML only: this file never builds markup from data (it sets text and values).
(function () {
  'use strict';

  var dialog = document.getElementById('confirm');
  var form = document.getElementById('confirm-form');

  function backUrl() {
    var params = new URLSearchParams(location.search);
    params.delete('flash');
    var q = params.toString();
    return location.pathname + (q ? '?' + q : '');
  }

  function openConfirm(btn) {
    var action = btn.dataset.confirm || '';
    if (action.indexOf('/action/') !== 0) {
      return;
    }
    form.setAttribute('action', action);
    document.getElementById('confirm-title').textContent = btn.dataset.title || 'Confirm';
    document.getElementById('confirm-text').textContent = btn.dataset.text || '';
    var reason = document.getElementById('confirm-reason');
    var needsReason = btn.dataset.reason === 'required';
    document.getElementById('confirm-reason-label').hidden = !needsReason;
    reason.required = needsReason;
    reason.disabled = !needsReason;
    reason.value = '';
    var fields = document.getElementById('confirm-fields');
    while (fields.firstChild) {
      fields.removeChild(fields.firstChild);
    }
    Object.keys(btn.dataset).forEach(function (k) {
      if (k.indexOf('field') === 0 && k.length > 5) {
        var input = document.createElement('input');
        input.type = 'hidden';
        input.name = k.charAt(5).toLowerCase() + k.slice(6);
        input.value = btn.dataset[k];
        fields.appendChild(input);
      }
    });
    document.getElementById('confirm-back').value = backUrl();
    document.getElementById('confirm-ok').textContent = btn.textContent.replace('…', '');
    dialog.showModal();
    if (needsReason) {
      reason.focus();
    }
  }

  if (dialog) {
    document.getElementById('confirm-cancel').addEventListener('click', function () {
      dialog.close();
    });
  }

  var live = document.getElementById('live');
  var pages = {};
  var opened = {}; // stage key -> open, for the stages the user opened or closed
  var version = '';
  var timer = null;

  document.addEventListener('click', function (ev) {
    var btn = ev.target.closest('[data-confirm]');
    if (btn) {
      ev.preventDefault();
      openConfirm(btn);
      return;
    }
    var pager = ev.target.closest('[data-page-of]');
    if (pager && live) {
      pages[pager.dataset.pageOf] = Number(pager.dataset.page);
      refresh(true);
      return;
    }
    var summary = ev.target.closest('details.stage > summary');
    if (summary) {
      var details = summary.parentElement;
      opened[details.dataset.stageKey] = !details.open;
    }
  });

  function note(text, bad) {
    var n = document.getElementById('live-note');
    if (n) {
      n.textContent = text;
      n.classList.toggle('bad', !!bad);
    }
  }

  function swap(html) {
    live.innerHTML = html;
    live.querySelectorAll('details.stage').forEach(function (d) {
      var key = d.dataset.stageKey;
      if (Object.prototype.hasOwnProperty.call(opened, key)) {
        d.open = opened[key];
      }
    });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(function () { refresh(false); }, document.hidden ? 5000 : 1500);
  }

  function refresh(force) {
    var params = new URLSearchParams();
    params.set('uid', live.dataset.uid);
    params.set('workflow', live.dataset.workflow);
    params.set('v', force ? '' : version);
    params.set('pages', JSON.stringify(pages));
    fetch('/api/run?' + params.toString(), { credentials: 'same-origin', cache: 'no-store' })
      .then(function (r) {
        if (r.status === 204) {
          return null;
        }
        if (!r.ok) {
          throw new Error('HTTP ' + r.status);
        }
        return r.json();
      })
      .then(function (j) {
        if (j) {
          version = j.v;
          swap(j.html);
        }
        note('Live: this page follows the run (last checked ' + new Date().toLocaleTimeString() + ').', false);
      })
      .catch(function (e) {
        note('Live updates paused (' + e.message + '); retrying.', true);
      })
      .then(schedule);
  }

  if (live) {
    schedule();
  }
})();
