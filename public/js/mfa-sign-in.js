// The second step of signing in with a passkey: options from the server, the browser's WebAuthn prompt
// (@simplewebauthn/browser), the answer back to the server, then on to the dashboard.
(function () {
  'use strict';

  var section = document.getElementById('second-factor');
  var button = document.getElementById('passkey-sign-in');
  if (!section || !button) return;
  var csrf = section.dataset.csrf;
  var errorBox = document.getElementById('passkey-error');

  function post(url, body) {
    var headers = { Accept: 'application/json', 'X-CSRF-Token': csrf };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(url, { method: 'POST', headers: headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) }).then(function (response) {
      return response.json().then(function (json) {
        if (!response.ok) throw new Error(json.detail || json.title || 'The passkey was not accepted.');
        return json;
      });
    });
  }

  button.addEventListener('click', function () {
    errorBox.hidden = true;
    button.disabled = true;
    post('/login/second-factor/passkey/options')
      .then(function (options) {
        return window.SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: options });
      })
      .then(function (credential) {
        return post('/login/second-factor/passkey', credential);
      })
      .then(
        function (answer) {
          window.location.assign(answer.redirect);
        },
        function (error) {
          errorBox.textContent = error && error.message ? error.message : String(error);
          errorBox.hidden = false;
          button.disabled = false;
        },
      );
  });
})();
