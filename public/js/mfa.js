// Second factors: the dashboard's "Sign-in security" section and the sign-in's enrol step (views/mfa-enrol.eta).
// Talks JSON to /mfa/* with the session's CSRF token; passkeys through @simplewebauthn/browser
// (served from node_modules at /vendor/simplewebauthn-browser.js). The TOTP key and recovery codes are
// shown once, from the answer that made them; nothing here stores them.
(function () {
  'use strict';

  var section = document.getElementById('mfa-section');
  if (!section) return;
  var csrf = section.dataset.csrf;
  var duringSignIn = section.dataset.mode === 'sign-in';
  var errorBox = document.getElementById('mfa-error');
  var list = document.getElementById('mfa-factors');
  var recoveryLeft = document.getElementById('mfa-recovery-left');
  var regenerate = document.getElementById('recovery-regenerate');
  var totpSetup = document.getElementById('totp-setup');

  function call(method, url, body) {
    var headers = { Accept: 'application/json', 'X-CSRF-Token': csrf };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(url, { method: method, headers: headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) }).then(function (response) {
      if (response.status === 204) return null;
      return response.json().then(function (json) {
        if (!response.ok) throw new Error(json.detail || json.title || 'Something went wrong.');
        return json;
      });
    });
  }

  function showError(error) {
    errorBox.textContent = error && error.message ? error.message : String(error);
    errorBox.hidden = false;
  }

  function clearError() {
    errorBox.hidden = true;
    errorBox.textContent = '';
  }

  function showRecoveryCodes(codes) {
    if (!codes) return;
    document.getElementById('recovery-code-list').textContent = codes.join('\n');
    document.getElementById('recovery-codes').hidden = false;
  }

  function enrolled(answer) {
    showRecoveryCodes(answer.recoveryCodes);
    totpSetup.hidden = true;
    if (duringSignIn) {
      document.getElementById('enrol-continue').hidden = false;
      document.getElementById('mfa-enrol').querySelectorAll('button').forEach(function (b) { b.disabled = true; });
    } else {
      load();
    }
  }

  function load() {
    if (!list) return;
    call('GET', '/mfa/factors').then(function (state) {
      list.textContent = '';
      if (state.factors.length === 0) {
        var none = document.createElement('li');
        none.className = 'muted';
        none.textContent = 'No second factor yet.';
        list.appendChild(none);
      }
      state.factors.forEach(function (factor) {
        var item = document.createElement('li');
        item.className = 'row';
        item.dataset.factorId = factor.id;
        var name = document.createElement('span');
        name.className = 'grow';
        name.textContent = (factor.kind === 'passkey' ? 'Passkey: ' : 'Authenticator app: ') + factor.label;
        var remove = document.createElement('button');
        remove.type = 'button';
        remove.className = 'secondary';
        remove.textContent = 'Remove';
        remove.setAttribute('aria-label', 'Remove ' + name.textContent);
        remove.addEventListener('click', function () {
          clearError();
          call('POST', '/mfa/factors/' + encodeURIComponent(factor.id) + '/delete').then(load, showError);
        });
        item.appendChild(name);
        item.appendChild(remove);
        list.appendChild(item);
      });
      recoveryLeft.textContent = state.factors.length > 0 ? state.recoveryCodesLeft + ' recovery code(s) left.' : '';
      regenerate.hidden = state.factors.length === 0;
    }, showError);
  }

  document.getElementById('passkey-enrol').addEventListener('click', function () {
    clearError();
    call('POST', '/mfa/passkey/options')
      .then(function (options) {
        return window.SimpleWebAuthnBrowser.startRegistration({ optionsJSON: options });
      })
      .then(function (credential) {
        return call('POST', '/mfa/passkey', { credential: credential });
      })
      .then(enrolled, showError);
  });

  var totpButton = document.getElementById('totp-enrol');
  if (totpButton) {
    totpButton.addEventListener('click', function () {
      clearError();
      call('POST', '/mfa/totp').then(function (setup) {
        document.getElementById('totp-qr').src = setup.qrDataUrl;
        document.getElementById('totp-secret').textContent = setup.secret;
        totpSetup.hidden = false;
        document.getElementById('totp-confirm-code').focus();
      }, showError);
    });
    document.getElementById('totp-confirm').addEventListener('submit', function (event) {
      event.preventDefault();
      clearError();
      var code = document.getElementById('totp-confirm-code').value;
      call('POST', '/mfa/totp/confirm', { code: code }).then(function (answer) {
        document.getElementById('totp-secret').textContent = '';
        document.getElementById('totp-qr').removeAttribute('src');
        enrolled(answer);
      }, showError);
    });
  }

  if (regenerate) {
    regenerate.addEventListener('click', function () {
      clearError();
      call('POST', '/mfa/recovery-codes').then(function (answer) {
        showRecoveryCodes(answer.recoveryCodes);
        load();
      }, showError);
    });
  }

  load();
})();
