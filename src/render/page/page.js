// gleaner's review page: keys and conveniences over forms that work without this
// script. Served as /static/page.js (the page's Content-Security-Policy allows no
// inline script). Cards are `[data-card]`; a card's buttons with `data-key` answer
// that key; `data-primary` is what Ctrl/Cmd+Enter presses in a form's text field.
(function () {
  'use strict';
  function all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }
  var cards = all('[data-card]');
  var at = 0;

  function shown() {
    return cards.filter(function (c) { return !c.hidden; });
  }
  function current() {
    return shown()[at];
  }
  function select(n, still) {
    var list = shown();
    if (!list.length) { return; }
    at = Math.max(0, Math.min(list.length - 1, n));
    cards.forEach(function (c) { c.classList.remove('selected'); });
    list[at].classList.add('selected');
    if (!still) { list[at].scrollIntoView({ block: 'nearest' }); }
  }
  function press(button) {
    if (button && !button.disabled) { button.click(); }
  }
  function field(card) {
    return card && card.querySelector('textarea');
  }

  // The filter: hides the cards without every typed word (Enter asks the server).
  var words = document.getElementById('filter-words');
  function filter() {
    var wanted = words.value.toLowerCase().split(/\s+/).filter(Boolean);
    cards.forEach(function (c) {
      var text = c.textContent.toLowerCase();
      c.hidden = !wanted.every(function (w) { return text.indexOf(w) >= 0; });
    });
    select(0);
  }
  if (words) { words.addEventListener('input', filter); }

  // Copying the draft: markdown as text, or the HTML as rich text (with the markdown
  // as its plain-text version). `data-copied` keeps what was handed to the clipboard.
  var status = document.getElementById('copy-status');
  function copy(kind) {
    var markdown = document.getElementById('markdown').value;
    var html = document.getElementById('draft-html').value;
    var text = kind === 'HTML' ? html : markdown;
    status.dataset.copied = text;
    status.dataset.kind = kind;
    function done() { status.textContent = 'copied the ' + kind; }
    function fallback() {
      var handler = function (e) {
        if (kind === 'HTML') { e.clipboardData.setData('text/html', html); }
        e.clipboardData.setData('text/plain', kind === 'HTML' ? markdown : text);
        e.preventDefault();
      };
      document.addEventListener('copy', handler);
      var ok = document.execCommand('copy');
      document.removeEventListener('copy', handler);
      status.textContent = ok ? 'copied the ' + kind : 'select the ' + kind + ' below and copy it';
    }
    var clip = navigator.clipboard;
    if (kind === 'HTML' && clip && clip.write && window.ClipboardItem) {
      clip.write([new window.ClipboardItem({
        'text/html': new Blob([html], { type: 'text/html' }),
        'text/plain': new Blob([markdown], { type: 'text/plain' })
      })]).then(done, fallback);
    } else if (kind !== 'HTML' && clip && clip.writeText) {
      clip.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  }
  ['md', 'html'].forEach(function (which) {
    var button = document.getElementById('copy-' + which);
    if (button) {
      button.addEventListener('click', function () { copy(which === 'md' ? 'markdown' : 'HTML'); });
    }
  });

  // A card's text field: Ctrl/Cmd+Enter presses its form's primary button, Escape
  // leaves the field (and the keys work again).
  document.addEventListener('keydown', function (e) {
    var target = e.target;
    if (target.matches('textarea, input, select')) {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && target.form) {
        e.preventDefault();
        press(target.form.querySelector('[data-primary]'));
      } else if (e.key === 'Escape') {
        target.blur();
      }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    var card = current();
    var key = e.key;
    if (key === 'j') { select(at + 1); }
    else if (key === 'k') { select(at - 1); }
    else if ((key === 'b' || key === 'Enter') && field(card) && !target.matches('a, button, summary')) {
      e.preventDefault();
      field(card).focus();
    } else if ((key === 'o' || key === 'v') && card && card.dataset.url) {
      window.open(card.dataset.url, '_blank', 'noopener,noreferrer');
    } else if (key === 'e' && card) {
      var full = card.querySelector('details.full');
      if (full) { full.open = !full.open; }
    } else if (key === '/' && words) {
      e.preventDefault();
      words.focus();
    } else if (key === '?') {
      var help = document.getElementById('keys');
      if (help) { help.open = !help.open; }
    } else if (key === 'u') {
      press(document.querySelector('[data-undo]'));
    } else if (card) {
      press(card.querySelector('[data-key="' + key + '"]'));
    }
  });

  // Back from a form: the card at the position the editor was at (`#3`), or the one
  // just edited (`#d42`). A plain load selects the first without scrolling.
  var start = parseInt(location.hash.slice(1), 10);
  if (isNaN(start) && location.hash.indexOf('#d') === 0) {
    var target = document.getElementById(location.hash.slice(1));
    start = target ? cards.indexOf(target) : 0;
  }
  select(start || 0, !location.hash);
})();
