// API console of the dashboard. Calls go to this app's /api/fortellis/ proxy with the session cookie;
// unsafe methods carry the session's CSRF token. No Fortellis token is ever seen here.
(function () {
  'use strict';

  var form = document.getElementById('api-console');
  if (!form) return;
  var preset = document.getElementById('api-preset');
  var method = document.getElementById('api-method');
  var path = document.getElementById('api-path');
  var body = document.getElementById('api-body');
  var result = document.getElementById('api-result');
  var csrfToken = null;

  function me() {
    return fetch('/api/me', { headers: { Accept: 'application/json' }, credentials: 'same-origin' }).then(function (response) {
      if (response.status === 401) {
        window.location.assign('/login');
        throw new Error('signed out');
      }
      return response.json();
    });
  }

  function applyPreset() {
    var parts = preset.value.split(' ');
    method.value = parts[0];
    path.value = parts.slice(1).join(' ');
  }

  function show(status, durationMs, requestId, text) {
    document.getElementById('api-status').textContent = String(status);
    document.getElementById('api-duration').textContent = durationMs.toFixed(0) + ' ms';
    document.getElementById('api-request-id').textContent = requestId || '(none)';
    var output = document.getElementById('api-output');
    try {
      output.textContent = JSON.stringify(JSON.parse(text), null, 2);
    } catch (e) {
      output.textContent = text;
    }
    result.hidden = false;
  }

  preset.addEventListener('change', applyPreset);

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var verb = method.value;
    var target = path.value.trim();
    if (target.charAt(0) !== '/') target = '/' + target;
    var headers = { Accept: 'application/json' };
    var init = { method: verb, headers: headers, credentials: 'same-origin' };
    if (verb !== 'GET' && verb !== 'HEAD') {
      headers['X-CSRF-Token'] = csrfToken;
      if (body.value.trim() !== '') {
        headers['Content-Type'] = 'application/json';
        init.body = body.value;
      }
    }
    var started = performance.now();
    fetch('/api/fortellis' + target, init)
      .then(function (response) {
        return response.text().then(function (text) {
          show(response.status, performance.now() - started, response.headers.get('Request-Id'), text);
        });
      })
      .catch(function (error) {
        show('network error', performance.now() - started, null, String(error));
      });
  });

  me().then(function (info) {
    csrfToken = info.csrfToken;
  }).catch(function () {});
})();
