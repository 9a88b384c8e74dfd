// The seed tutorial's implicit flow, done correctly (see /compare for why it is still not the flow to ship):
// - a fresh random state and nonce per attempt, kept in sessionStorage and used once;
// - on return, the fragment leaves the address bar and history before anything else;
// - the fragment is parsed with URLSearchParams; a missing or wrong state refuses the response outright;
// - the token's nonce claim must be this attempt's nonce;
// - the token lives in this closure only (no storage), is logged to the console as the tutorial does, and
//   its claims are shown decoded but labelled "not verified".
(function () {
  'use strict';

  var root = document.getElementById('implicit-demo');
  if (!root) return;
  var PENDING_KEY = 'fbff.implicit.pending';
  var settings = {
    authorizeUrl: root.dataset.authorizeUrl,
    clientId: root.dataset.clientId,
    redirectUri: root.dataset.redirectUri,
  };
  var countdown = null;

  // Take the fragment first: whatever happens next, it must not stay in the address bar or the history.
  var fragment = window.location.hash;
  if (fragment.length > 1) {
    window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  }

  function element(id) {
    return document.getElementById(id);
  }

  /** 32 random bytes, base64url: unguessable, and safe in a URL without encoding. */
  function randomValue() {
    var bytes = new Uint8Array(32);
    window.crypto.getRandomValues(bytes);
    var binary = '';
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return window.btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function decodeBase64Url(segment) {
    var base64 = segment.replace(/-/g, '+').replace(/_/g, '/');
    while (base64.length % 4 !== 0) base64 += '=';
    var binary = window.atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return new TextDecoder().decode(bytes);
  }

  /** The JWT's payload as an object, or null. Decoding is not verifying: nothing here checks the signature. */
  function decodeClaims(token) {
    var parts = token.split('.');
    if (parts.length !== 3) return null;
    try {
      var claims = JSON.parse(decodeBase64Url(parts[1]));
      return claims && typeof claims === 'object' ? claims : null;
    } catch (e) {
      return null;
    }
  }

  /** The attempt this tab started, taken out of storage: a state is good for one response only. */
  function takePending() {
    var raw = window.sessionStorage.getItem(PENDING_KEY);
    window.sessionStorage.removeItem(PENDING_KEY);
    if (!raw) return null;
    try {
      var pending = JSON.parse(raw);
      return pending && typeof pending.state === 'string' && typeof pending.nonce === 'string' ? pending : null;
    } catch (e) {
      return null;
    }
  }

  function showError(message) {
    var box = element('implicit-error');
    box.textContent = message;
    box.hidden = false;
    element('implicit-result').hidden = true;
  }

  function clearResult() {
    if (countdown !== null) window.clearInterval(countdown);
    countdown = null;
    element('implicit-token').textContent = '';
    element('implicit-claims').textContent = '';
    element('implicit-tutorial-value').textContent = '';
    element('implicit-result').hidden = true;
  }

  function formatRemaining(ms) {
    var total = Math.max(0, Math.ceil(ms / 1000));
    var minutes = Math.floor(total / 60);
    var seconds = total % 60;
    return minutes + ' min ' + (seconds < 10 ? '0' : '') + seconds + ' s';
  }

  function startCountdown(expiresAt) {
    var target = element('implicit-expiry');
    function tick() {
      var left = expiresAt - Date.now();
      if (left <= 0) {
        target.textContent = 'Expired. There is no refresh token in this flow: sign in again.';
        window.clearInterval(countdown);
        countdown = null;
        return;
      }
      target.textContent = formatRemaining(left) + ' (at ' + new Date(expiresAt).toLocaleTimeString() + ')';
    }
    tick();
    countdown = window.setInterval(tick, 1000);
  }

  function showToken(token, tokenType, claims, expiresAt, rawFragment) {
    element('implicit-error').hidden = true;
    element('implicit-token').textContent = token;
    element('implicit-token-type').textContent = tokenType;
    element('implicit-claims').textContent = JSON.stringify(claims, null, 2);
    // What the seed tutorial's parser makes of this very fragment: the token glued to "&token_type".
    var tutorialValue = rawFragment.substr(1).split('=')[1] || '';
    var tail = tutorialValue.slice(-24);
    element('implicit-tutorial-value').textContent = (tutorialValue.length > tail.length ? '…' : '') + tail;
    element('implicit-result').hidden = false;
    startCountdown(expiresAt);
  }

  /** Checks a response the authorize endpoint sent back in the fragment; shows the token or the reason. */
  function handleReturn(rawFragment) {
    var params = new URLSearchParams(rawFragment.slice(1));
    var pending = takePending();
    var state = params.get('state');
    if (!pending) {
      return showError(
        'Refused: this tab did not start a sign-in, so this response cannot be trusted (it may be a link carrying someone else’s token). Nothing from it was used.',
      );
    }
    if (!state) return showError('Refused: the response has no state. Nothing from it was used.');
    if (state !== pending.state) {
      return showError('Refused: the state does not match the one this tab sent (a forged or replayed response). Nothing from it was used.');
    }
    if (params.get('error')) {
      return showError('Fortellis did not sign you in: ' + params.get('error') + (params.get('error_description') ? ' (' + params.get('error_description') + ')' : '') + '.');
    }
    var token = params.get('access_token');
    if (!token) return showError('Refused: the response has no access_token.');
    var tokenType = params.get('token_type') || '';
    if (tokenType.toLowerCase() !== 'bearer') return showError('Refused: the token type is not Bearer.');
    var claims = decodeClaims(token);
    if (!claims) return showError('Refused: the access token is not a JWT this page can read.');
    if (claims.nonce !== pending.nonce) {
      return showError('Refused: the token’s nonce is not the one this tab sent (a token issued for another request).');
    }
    var expiresIn = Number(params.get('expires_in'));
    var expiresAt = isFinite(expiresIn) && expiresIn > 0 ? Date.now() + expiresIn * 1000 : Number(claims.exp) * 1000;
    // As the seed tutorial does, so that you can see who else can: anyone with the developer tools open.
    console.log('Fortellis access token (implicit flow):', token);
    showToken(token, tokenType, claims, expiresAt, rawFragment);
  }

  function start() {
    var pending = { state: randomValue(), nonce: randomValue() };
    window.sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
    var url = new URL(settings.authorizeUrl);
    url.searchParams.set('client_id', settings.clientId);
    url.searchParams.set('response_type', 'token');
    url.searchParams.set('scope', 'openid');
    url.searchParams.set('redirect_uri', settings.redirectUri);
    url.searchParams.set('state', pending.state);
    url.searchParams.set('nonce', pending.nonce);
    // A top-level navigation: the user signs in on Fortellis' own page, never in a frame of this one.
    window.location.assign(url.toString());
  }

  // sessionStorage belongs to one origin: opened elsewhere than the redirect URI, the state check would fail.
  var here = window.location.origin + window.location.pathname;
  if (here !== settings.redirectUri) {
    var warning = element('implicit-origin-warning');
    warning.textContent =
      'This page is open at ' + here + ', but Fortellis sends the token back to ' + settings.redirectUri +
      ' (the registered redirect URI). Open the demo there, or the state check will refuse the response.';
    warning.hidden = false;
  }

  element('implicit-sign-in').addEventListener('click', start);
  element('implicit-forget').addEventListener('click', function () {
    clearResult();
    element('implicit-sign-in').focus();
  });

  if (fragment.length > 1) handleReturn(fragment);
  // Nothing but the page's text keeps the token from here on: "Forget the token" really forgets it.
  fragment = '';

  // A fragment can also arrive without a reload (a link to this page followed from this page): same rules.
  window.addEventListener('hashchange', function () {
    var arrived = window.location.hash;
    if (arrived.length <= 1) return;
    window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
    clearResult();
    handleReturn(arrived);
  });
})();
