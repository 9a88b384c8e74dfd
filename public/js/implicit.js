// The seed tutorial's implicit flow, done correctly (see /compare for why it is still not the flow to ship):
// - a fresh random state and nonce per attempt, kept in sessionStorage and used once;
// - it asks for response_type "id_token token": Fortellis' implicit access tokens carry no nonce (the docs'
//   decoded tokens), a nonce belongs in an ID token (OpenID Connect Core 3.2.2.11), so the ID token that
//   comes beside the access token is where this page checks it;
// - on return, the fragment leaves the address bar and history before anything else;
// - the fragment is parsed with URLSearchParams; a missing or wrong state refuses the response outright;
// - the ID token must be for this app (aud), from the configured issuer (iss), unexpired, carry this
//   attempt's nonce, and name this access token by its hash (at_hash);
// - what a browser cannot check it says so: the ID token's signature is not verified here;
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
    issuer: root.dataset.issuer,
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
    element('implicit-id-claims').textContent = '';
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

  function showToken(token, tokenType, claims, idClaims, expiresAt, rawFragment) {
    element('implicit-error').hidden = true;
    element('implicit-token').textContent = token;
    element('implicit-token-type').textContent = tokenType;
    element('implicit-claims').textContent = JSON.stringify(claims, null, 2);
    element('implicit-id-claims').textContent = JSON.stringify(idClaims, null, 2);
    // What the seed tutorial's parser makes of this very fragment: the token glued to "&token_type".
    var tutorialValue = rawFragment.substr(1).split('=')[1] || '';
    var tail = tutorialValue.slice(-24);
    element('implicit-tutorial-value').textContent = (tutorialValue.length > tail.length ? '…' : '') + tail;
    element('implicit-result').hidden = false;
    startCountdown(expiresAt);
  }

  /** OpenID Connect Core 3.2.2.9: base64url of the left half of the access token's SHA-256 (RS256). */
  function accessTokenHash(token) {
    // Web Crypto exists only in secure contexts (https, localhost).
    if (!window.crypto.subtle) return Promise.reject(new Error('no SubtleCrypto'));
    var bytes = new TextEncoder().encode(token);
    return window.crypto.subtle.digest('SHA-256', bytes).then(function (digest) {
      var half = new Uint8Array(digest).slice(0, 16);
      var binary = '';
      for (var i = 0; i < half.length; i++) binary += String.fromCharCode(half[i]);
      return window.btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    });
  }

  /**
   * The checks OpenID Connect asks of an implicit client (Core 3.2.2.11, 3.1.3.7) that a page can make
   * without the identity server's keys: the reason to refuse, or null. The signature is the one it cannot.
   */
  function idTokenProblem(idClaims, nonce) {
    var audience = Array.isArray(idClaims.aud) ? idClaims.aud : [idClaims.aud];
    if (idClaims.iss !== settings.issuer) return 'the ID token was issued by ' + idClaims.iss + ', not by ' + settings.issuer + '.';
    if (audience.indexOf(settings.clientId) === -1) return 'the ID token is not for this app (its aud is not this API key).';
    if (!(Number(idClaims.exp) * 1000 > Date.now())) return 'the ID token has expired.';
    if (idClaims.nonce !== nonce) return 'the ID token’s nonce is not the one this tab sent (a response to another request).';
    return null;
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
    var idToken = params.get('id_token');
    if (!idToken) return showError('Refused: the response has no ID token, so its nonce cannot be checked.');
    var idClaims = decodeClaims(idToken);
    if (!idClaims) return showError('Refused: the ID token is not a JWT this page can read.');
    var problem = idTokenProblem(idClaims, pending.nonce);
    if (problem) return showError('Refused: ' + problem);
    return accessTokenHash(token).then(
      function (hash) {
        if (idClaims.at_hash !== hash) {
          return showError('Refused: the ID token’s at_hash does not name this access token (a token swapped in from elsewhere).');
        }
        var expiresIn = Number(params.get('expires_in'));
        var expiresAt = isFinite(expiresIn) && expiresIn > 0 ? Date.now() + expiresIn * 1000 : Number(claims.exp) * 1000;
        // As the seed tutorial does, so that you can see who else can: anyone with the developer tools open.
        console.log('Fortellis access token (implicit flow):', token);
        showToken(token, tokenType, claims, idClaims, expiresAt, rawFragment);
      },
      function () {
        showError('Refused: this browser cannot compute SHA-256 here (the page must be served over https or from localhost), so the ID token’s at_hash cannot be checked.');
      },
    );
  }

  function start() {
    var pending = { state: randomValue(), nonce: randomValue() };
    window.sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
    var url = new URL(settings.authorizeUrl);
    url.searchParams.set('client_id', settings.clientId);
    // An ID token beside the access token: it is what carries the nonce back.
    url.searchParams.set('response_type', 'id_token token');
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
