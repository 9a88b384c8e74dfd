// Live facts of the comparison page, for a signed-in viewer: when their session ends, the Request-Id of
// their last proxied call (both from /api/me), and what this browser holds that a script could read.
(function () {
  'use strict';

  var facts = document.getElementById('live-facts');
  if (!facts) return;
  var JWT = /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/;
  var countdown = null;

  function element(id) {
    return document.getElementById(id);
  }

  /** Everything a script on this page can read from cookies and web storage. */
  function readableStorage() {
    var found = { cookie: document.cookie, local: [], session: [] };
    var i;
    for (i = 0; i < window.localStorage.length; i++) {
      var localKey = window.localStorage.key(i);
      found.local.push(localKey + '=' + window.localStorage.getItem(localKey));
    }
    for (i = 0; i < window.sessionStorage.length; i++) {
      var sessionKey = window.sessionStorage.key(i);
      found.session.push(sessionKey + '=' + window.sessionStorage.getItem(sessionKey));
    }
    return found;
  }

  function describeBrowser() {
    var found = readableStorage();
    var all = [found.cookie].concat(found.local, found.session).join('\n');
    var summary =
      'document.cookie is ' + (found.cookie === '' ? 'empty to scripts (the session cookie is HttpOnly)' : 'readable: ' + found.cookie.split(';').length + ' cookie(s)') +
      '; localStorage holds ' + found.local.length + ' item(s), sessionStorage ' + found.session.length + '.';
    var target = element('compare-browser-tokens');
    target.textContent = (JWT.test(all) ? 'A token-like value (JWT) is readable here! ' : 'None. ') + summary;
    target.dataset.tokenFound = String(JWT.test(all));
  }

  function showExpiry(isoTime) {
    var time = element('compare-session-expires');
    var expiresAt = Date.parse(isoTime);
    if (isNaN(expiresAt)) return;
    time.setAttribute('datetime', isoTime);
    time.textContent = new Date(expiresAt).toLocaleString();
    var left = element('compare-session-left');
    function tick() {
      var seconds = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
      left.textContent = seconds === 0 ? '(ended)' : '(in ' + Math.floor(seconds / 60) + ' min ' + (seconds % 60) + ' s unless you use the app)';
    }
    if (countdown !== null) window.clearInterval(countdown);
    tick();
    countdown = window.setInterval(tick, 1000);
  }

  describeBrowser();
  fetch('/api/me', { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
    .then(function (response) {
      if (response.status === 401) {
        element('compare-last-request-id').textContent = '(your session has ended: sign in again)';
        return null;
      }
      return response.json();
    })
    .then(function (me) {
      if (!me) return;
      showExpiry(me.sessionExpiresAt);
      element('compare-last-request-id').textContent = me.lastProxiedRequestId || '(none yet: make a call in the API console)';
    })
    .catch(function () {
      element('compare-last-request-id').textContent = '(could not be loaded)';
    });
})();
