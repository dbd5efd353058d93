/*
 * Mentallect chat widget. Plain modern JavaScript: no build step, no dependencies.
 *
 * Embed with one tag (same origin as the chat API, see docs/widget.md):
 *   <script src="/widget/widget.js" data-locale="en-GB" data-open="true" defer></script>
 *
 * Rules this file keeps:
 * - Every message text reaches the page through textContent / createTextNode, never
 *   innerHTML: bot and user text is shown as text, whatever it contains.
 * - No message text is kept in browser storage; only the locale choice (localStorage)
 *   and whether the panel was closed (sessionStorage). The history lives on the server.
 * - Each outgoing message gets a UUID and is retried with the same UUID until the
 *   server answers, so a dropped connection neither loses nor duplicates it.
 */
(() => {
  'use strict';

  const script = document.currentScript;
  if (!script || window.__mentallectChatWidget) return;
  window.__mentallectChatWidget = true;

  const API = new URL('/api/chat/', script.src);
  const STYLESHEET = new URL('widget.css', script.src);
  const CSRF_HEADERS = { 'X-Requested-With': 'mentallect-widget' };
  const LOCALE_KEY = 'mentallect-chat-locale';
  const CLOSED_KEY = 'mentallect-chat-closed';
  const REQUEST_TIMEOUT_MS = 30000;
  const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];
  const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)');

  // Interface wording. The notice line with the emergency numbers comes from the server
  // (composed from safety/helplines.yaml), so no phone number is written here.
  const UI = {
    en: {
      title: 'Clinic assistant',
      subtitle: 'Automated · answers from published research',
      launcher: 'Chat with our assistant',
      close: 'Close chat',
      log: 'Conversation',
      message: 'Message',
      placeholder: 'Ask about PTSD and its treatments…',
      send: 'Send',
      hint: 'Enter sends · Shift+Enter for a new line',
      you: 'You:',
      bot: 'Assistant:',
      settings: 'Language and region',
      language: 'Language',
      country: 'Where are you now?',
      otherCountry: 'Another country',
      end: 'End conversation',
      endHelp: 'Removes this conversation from this device.',
      intro:
        "Hello! I'm the clinic's automated assistant. I explain what published research says " +
        "about PTSD and its treatments, with a source for each answer. I can't give personal " +
        'medical advice.',
      connecting: 'Connecting…',
      sending: 'Sending…',
      waiting: 'Waiting to send…',
      offline: 'Offline — retrying…',
      online: 'Connected again.',
      notSent: 'Not sent',
      typing: 'Assistant is typing',
      quick: 'Suggested replies',
      tooLong: (n, max) => `${n.toLocaleString('en-GB')} / ${max.toLocaleString('en-GB')} characters: please shorten your message.`,
      unsent: 'A message has not been sent yet.',
      ended: 'Conversation ended. You can start a new one at any time.',
    },
    ru: {
      title: 'Ассистент клиники',
      subtitle: 'Автоматический · отвечает по опубликованным исследованиям',
      launcher: 'Чат с ассистентом',
      close: 'Закрыть чат',
      log: 'Переписка',
      message: 'Сообщение',
      placeholder: 'Спросите о ПТСР и его лечении…',
      send: 'Отправить',
      hint: 'Enter — отправить · Shift+Enter — новая строка',
      you: 'Вы:',
      bot: 'Ассистент:',
      settings: 'Язык и регион',
      language: 'Язык',
      country: 'Где вы сейчас?',
      otherCountry: 'Другая страна',
      end: 'Завершить разговор',
      endHelp: 'Удаляет этот разговор с этого устройства.',
      intro:
        'Здравствуйте! Я автоматический ассистент клиники. Я рассказываю, что говорят ' +
        'опубликованные исследования о ПТСР и его лечении, и указываю источник каждого ответа. ' +
        'Я не даю личных медицинских советов.',
      connecting: 'Подключение…',
      sending: 'Отправка…',
      waiting: 'Ждёт отправки…',
      offline: 'Нет связи — повторяем попытку…',
      online: 'Связь восстановлена.',
      notSent: 'Не отправлено',
      typing: 'Ассистент печатает',
      quick: 'Варианты ответа',
      tooLong: (n, max) => `${n} / ${max} символов: пожалуйста, сократите сообщение.`,
      unsent: 'Сообщение ещё не отправлено.',
      ended: 'Разговор завершён. Вы можете начать новый в любое время.',
    },
  };
  const LANGUAGES = [
    ['en', 'English'],
    ['ru', 'Русский'],
  ];

  // ---------------------------------------------------------------- small helpers

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    // randomUUID needs a secure context; getRandomValues does not.
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function el(tag, attrs = {}, children = []) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === false || value === null || value === undefined) continue;
      if (name === 'class') node.className = value;
      else if (name === 'text') node.textContent = value;
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children) node.append(child);
    return node;
  }

  function storageGet(store, key) {
    try {
      return window[store].getItem(key);
    } catch {
      return null; // storage disabled: the widget still works
    }
  }

  function storageSet(store, key, value) {
    try {
      if (value === null) window[store].removeItem(key);
      else window[store].setItem(key, value);
    } catch {
      /* storage disabled */
    }
  }

  // ---------------------------------------------------------------- locale

  function parseLocale(tag) {
    const parts = String(tag || '').split(/[-_]/);
    const lang = (parts[0] || '').toLowerCase() === 'ru' ? 'ru' : 'en';
    const country = parts.slice(1).find((p) => /^[A-Za-z]{2}$/.test(p));
    // Without a country, English means the clinic's default (UK); other languages "elsewhere".
    return { lang, country: country ? country.toUpperCase() : lang === 'en' ? 'GB' : 'ZZ' };
  }

  const locale = parseLocale(
    storageGet('localStorage', LOCALE_KEY) || script.dataset.locale || navigator.language || 'en-GB',
  );
  const localeTag = () => `${locale.lang}-${locale.country}`;
  const t = () => UI[locale.lang];

  // ---------------------------------------------------------------- state

  const state = {
    notice: null, // {en, ru} from the server
    countries: { UK: ['GB'], EU: [] },
    maxChars: 4000,
    outbox: [], // [{id, text, display, locale, bubble}]
    pumping: false,
    offline: false,
    rendered: new Map(), // client_message_id -> {bubble, answered}
    session: null, // Promise of the current session
  };

  // ---------------------------------------------------------------- DOM

  document.head.append(el('link', { rel: 'stylesheet', href: STYLESHEET.href }));

  const ids = { panel: 'mlw-panel', title: 'mlw-title', input: 'mlw-input', hint: 'mlw-hint', settings: 'mlw-settings', lang: 'mlw-lang', country: 'mlw-country' };

  const launcher = el('button', { type: 'button', class: 'mlw-launcher', 'aria-expanded': 'false', 'aria-controls': ids.panel });
  const launcherNotice = el('p', { class: 'mlw-notice mlw-notice--launcher' });
  const titleEl = el('h2', { id: ids.title, class: 'mlw-title' });
  const subtitleEl = el('p', { class: 'mlw-subtitle' });
  const settingsButton = el('button', { type: 'button', class: 'mlw-icon-button mlw-settings-button', 'aria-expanded': 'false', 'aria-controls': ids.settings });
  const closeButton = el('button', { type: 'button', class: 'mlw-icon-button mlw-close' });
  const noticeEl = el('p', { class: 'mlw-notice' });

  const langLabel = el('label', { for: ids.lang });
  const langSelect = el('select', { id: ids.lang });
  for (const [code, name] of LANGUAGES) langSelect.append(el('option', { value: code, lang: code, text: name }));
  const countryLabel = el('label', { for: ids.country });
  const countrySelect = el('select', { id: ids.country });
  const endButton = el('button', { type: 'button', class: 'mlw-text-button' });
  const endHelp = el('p', { class: 'mlw-help' });
  const settingsPanel = el('div', { id: ids.settings, class: 'mlw-settings', hidden: true }, [
    el('div', { class: 'mlw-field' }, [langLabel, langSelect]),
    el('div', { class: 'mlw-field' }, [countryLabel, countrySelect]),
    el('div', { class: 'mlw-field' }, [endButton, endHelp]),
  ]);

  // role="log" with aria-live="polite": new messages are read out without interrupting.
  // tabindex=0 so keyboard users can scroll it (it is a scrolling region).
  const log = el('div', { class: 'mlw-log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', tabindex: '0' });
  const introEl = el('div', { class: 'mlw-msg mlw-msg--bot mlw-msg--intro' });
  log.append(introEl);
  const typing = el('div', { class: 'mlw-typing', 'aria-hidden': 'true', hidden: true }, [el('span'), el('span'), el('span')]);
  const status = el('p', { class: 'mlw-status', role: 'status' });

  const inputLabel = el('label', { for: ids.input, class: 'mlw-label' });
  const input = el('textarea', { id: ids.input, class: 'mlw-input', rows: '2', autocomplete: 'off', 'aria-describedby': ids.hint });
  // Accessible name stays "Send" in every language so outside checkers and voice
  // control find it; the visible text follows the interface language.
  const sendButton = el('button', { type: 'submit', class: 'mlw-send', 'aria-label': 'Send' });
  const hint = el('p', { id: ids.hint, class: 'mlw-hint' });
  const form = el('form', { class: 'mlw-form', novalidate: true }, [
    inputLabel,
    el('div', { class: 'mlw-compose' }, [input, sendButton]),
    hint,
  ]);

  const panel = el('section', { id: ids.panel, class: 'mlw-panel', 'aria-labelledby': ids.title, hidden: true }, [
    el('div', { class: 'mlw-header' }, [
      el('div', { class: 'mlw-heading' }, [titleEl, subtitleEl]),
      settingsButton,
      closeButton,
    ]),
    noticeEl,
    settingsPanel,
    log,
    typing,
    status,
    form,
  ]);
  const root = el('div', { class: 'mlw-root' }, [panel, el('div', { class: 'mlw-dock' }, [launcherNotice, launcher])]);

  // ---------------------------------------------------------------- labels

  function countryName(code) {
    try {
      return new Intl.DisplayNames([locale.lang], { type: 'region' }).of(code) || code;
    } catch {
      return code;
    }
  }

  function fillCountries() {
    const eu = [...state.countries.EU].sort((a, b) => countryName(a).localeCompare(countryName(b), locale.lang));
    const known = new Set(['GB', ...eu]);
    const other = known.has(locale.country) ? 'ZZ' : locale.country;
    countrySelect.replaceChildren(
      el('option', { value: 'GB', text: countryName('GB') }),
      ...eu.map((code) => el('option', { value: code, text: countryName(code) })),
      el('option', { value: other, text: t().otherCountry }),
    );
    countrySelect.value = locale.country;
  }

  function applyLabels() {
    const ui = t();
    root.lang = locale.lang;
    titleEl.textContent = ui.title;
    subtitleEl.textContent = ui.subtitle;
    launcher.textContent = ui.launcher;
    closeButton.setAttribute('aria-label', ui.close);
    closeButton.textContent = '×';
    // The accessible name contains the visible text ("EN"), as WCAG 2.5.3 asks.
    settingsButton.textContent = locale.lang.toUpperCase();
    settingsButton.setAttribute('aria-label', `${ui.settings}: ${settingsButton.textContent}`);
    langLabel.textContent = ui.language;
    countryLabel.textContent = ui.country;
    endButton.textContent = ui.end;
    endHelp.textContent = ui.endHelp;
    log.setAttribute('aria-label', ui.log);
    introEl.replaceChildren(el('span', { class: 'mlw-sr', text: ui.bot + ' ' }), el('p', { class: 'mlw-text', text: ui.intro }));
    inputLabel.textContent = ui.message;
    input.placeholder = ui.placeholder;
    sendButton.textContent = ui.send;
    langSelect.value = locale.lang;
    updateHint();
    const line = state.notice ? state.notice[locale.lang] || state.notice.en : '';
    noticeEl.textContent = line;
    launcherNotice.textContent = line;
    noticeEl.hidden = !line;
    launcherNotice.hidden = !line || !panel.hidden; // beside the launcher only while closed
    fillCountries();
  }

  function updateHint() {
    const n = input.value.length;
    const tooLong = n > state.maxChars;
    hint.textContent = tooLong ? t().tooLong(n, state.maxChars) : t().hint;
    hint.classList.toggle('mlw-hint--warn', tooLong);
  }

  function setStatus(text) {
    status.textContent = text || '';
  }

  // ---------------------------------------------------------------- rendering

  function scrollToEnd() {
    log.scrollTo({ top: log.scrollHeight, behavior: reducedMotion.matches ? 'auto' : 'smooth' });
  }

  function clearQuickReplies() {
    for (const group of log.querySelectorAll('.mlw-quick')) group.remove();
  }

  function userBubble(id, text) {
    const note = el('span', { class: 'mlw-msg-status' });
    const bubble = el('div', { class: 'mlw-msg mlw-msg--user', 'data-id': id }, [
      el('span', { class: 'mlw-sr', text: t().you + ' ' }),
      el('p', { class: 'mlw-text', text }),
      note,
    ]);
    bubble.note = note;
    log.append(bubble);
    state.rendered.set(id, { bubble, answered: false });
    return bubble;
  }

  function quickReplies(buttons) {
    const group = el('div', { class: 'mlw-quick', role: 'group', 'aria-label': t().quick });
    for (const button of buttons) {
      const quick = el('button', { type: 'button', class: 'mlw-quick-button', text: button.title || button.payload });
      quick.addEventListener('click', () => {
        send(button.payload, button.title);
        input.focus(); // the button is gone now: keep keyboard users in the widget
      });
      group.append(quick);
    }
    return group;
  }

  // Returns the first new node (or null when the replies were already shown).
  function botMessages(id, replies, withButtons) {
    const entry = state.rendered.get(id);
    if (entry && entry.answered) return null; // already shown (a replay after a reconnect)
    const nodes = [];
    const buttons = [];
    for (const reply of replies) {
      const message = el('div', { class: 'mlw-msg mlw-msg--bot', 'data-reply-to': id });
      message.append(el('span', { class: 'mlw-sr', text: t().bot + ' ' }));
      if (reply.text) message.append(el('p', { class: 'mlw-text', text: reply.text }));
      nodes.push(message);
      if (reply.buttons) buttons.push(...reply.buttons);
    }
    // Quick replies after the whole answer (the first-reply notice may follow the question).
    if (withButtons && buttons.length) nodes.push(quickReplies(buttons));
    // Replies go right after their own message and its earlier replies, keeping order
    // even when a history sync and a live answer race.
    let anchor = entry ? entry.bubble : null;
    while (anchor && anchor.nextElementSibling && anchor.nextElementSibling.dataset.replyTo === id) {
      anchor = anchor.nextElementSibling;
    }
    if (anchor) anchor.after(...nodes);
    else log.append(...nodes);
    if (entry) {
      entry.answered = true;
      entry.bubble.note.textContent = '';
      entry.bubble.classList.remove('mlw-msg--pending', 'mlw-msg--failed');
    }
    return nodes[0] || null;
  }

  // Show a new answer from its start (a crisis reply is long: its first lines matter
  // most), or the end of the log when the whole answer fits.
  function reveal(node) {
    if (!node) return scrollToEnd();
    const top = Math.max(0, node.offsetTop - 8);
    log.scrollTo({
      top: Math.min(top, log.scrollHeight - log.clientHeight),
      behavior: reducedMotion.matches ? 'auto' : 'smooth',
    });
  }

  function renderHistory(turns) {
    turns.forEach((turn, index) => {
      const known = state.rendered.get(turn.id);
      if (!known) userBubble(turn.id, turn.user);
      const last = index === turns.length - 1;
      if (!state.rendered.get(turn.id).answered) {
        if (last) clearQuickReplies();
        botMessages(turn.id, turn.replies, last);
      }
    });
    scrollToEnd();
  }

  // ---------------------------------------------------------------- network

  async function api(method, path, body) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
    try {
      const response = await fetch(new URL(path, API), {
        method,
        headers: body === undefined ? CSRF_HEADERS : { ...CSRF_HEADERS, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
        signal: controller.signal,
      });
      let data = null;
      try {
        data = await response.json();
      } catch {
        data = null;
      }
      return { status: response.status, data };
    } finally {
      clearTimeout(timer);
    }
  }

  let wake = null; // resolves a pending backoff early (the browser says it is online again)
  window.addEventListener('online', () => wake && wake());

  async function backoff(attempt) {
    const base = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
    const delay = base * (0.75 + Math.random() * 0.5);
    await Promise.race([sleep(delay), new Promise((resolve) => (wake = resolve))]);
    wake = null;
  }

  function setOffline(offline) {
    if (offline === state.offline) return;
    state.offline = offline;
    root.classList.toggle('mlw-offline', offline);
    setStatus(offline ? t().offline : t().online);
    if (!offline) {
      // Anything answered while we could not hear it (or sent from another tab).
      syncHistory();
      setTimeout(() => {
        if (!state.offline && status.textContent === t().online) setStatus('');
      }, 4000);
    }
  }

  function startSession() {
    state.session = (async () => {
      for (let attempt = 0; ; attempt += 1) {
        let result = null;
        try {
          result = await api('POST', 'session', { locale: localeTag() });
        } catch {
          result = null;
        }
        if (result && result.status === 200 && result.data) {
          setOffline(false);
          state.notice = result.data.notice || null;
          state.countries = result.data.countries || state.countries;
          state.maxChars = result.data.max_chars || state.maxChars;
          applyLabels();
          renderHistory(result.data.history || []);
          return;
        }
        setOffline(true);
        await backoff(attempt);
      }
    })();
    return state.session;
  }

  async function syncHistory() {
    try {
      const result = await api('GET', 'history');
      if (result.status === 200 && result.data) renderHistory(result.data.history || []);
    } catch {
      /* the next delivery or reconnect tries again */
    }
  }

  // Deliver one message: retried with the same client_message_id until the server
  // answers. The server returns the stored replies for an id it has seen, so a retry
  // after a lost response never reaches Rasa twice.
  async function deliver(item) {
    for (let attempt = 0; ; ) {
      await state.session;
      let result = null;
      try {
        result = await api('POST', 'messages', { client_message_id: item.id, text: item.text, locale: item.locale });
      } catch {
        result = null;
      }
      const data = (result && result.data) || {};
      if (result && result.status === 200 && data.turn) {
        setOffline(false);
        return { turn: data.turn };
      }
      if (result && result.status === 401) {
        await startSession(); // the conversation ended or expired: continue in a new one
        continue;
      }
      if (result && result.status === 429) {
        setStatus(data.message || '');
        item.bubble.note.textContent = t().waiting;
        await sleep(Math.max(1, Number(data.retry_after) || 5) * 1000);
        continue;
      }
      if (result && result.status >= 400 && result.status < 500) {
        return { error: data.message || `Error ${result.status}` };
      }
      // No answer, a timeout or a server error: keep the message and try again.
      setOffline(true);
      item.bubble.note.textContent = t().offline;
      await backoff(attempt);
      attempt += 1;
    }
  }

  async function pump() {
    if (state.pumping) return;
    state.pumping = true;
    try {
      while (state.outbox.length) {
        const item = state.outbox[0];
        item.bubble.note.textContent = t().sending;
        typing.hidden = false;
        scrollToEnd();
        const outcome = await deliver(item);
        state.outbox.shift();
        if (outcome.turn) {
          const entry = state.rendered.get(item.id);
          // A history sync may have shown these replies (and their buttons) already.
          if (!entry || !entry.answered) {
            clearQuickReplies();
            typing.hidden = true;
            reveal(botMessages(item.id, outcome.turn.replies, true));
          }
        } else {
          // Refused (e.g. too large): say so on the message and give the text back.
          item.bubble.classList.add('mlw-msg--failed');
          item.bubble.note.textContent = `${t().notSent}: ${outcome.error}`;
          setStatus(outcome.error);
          if (!input.value) {
            input.value = item.text;
            updateHint();
          }
          scrollToEnd();
        }
      }
    } finally {
      typing.hidden = true;
      state.pumping = false;
    }
  }

  function send(text, display) {
    if (!text || !text.trim()) return;
    clearQuickReplies();
    const id = uuid();
    const bubble = userBubble(id, display || text);
    bubble.classList.add('mlw-msg--pending');
    state.outbox.push({ id, text, display, locale: localeTag(), bubble });
    scrollToEnd();
    pump();
  }

  // ---------------------------------------------------------------- open / close

  function setOpen(open, { focus = true } = {}) {
    panel.hidden = !open;
    launcher.hidden = open;
    launcherNotice.hidden = open || !launcherNotice.textContent;
    launcher.setAttribute('aria-expanded', String(open));
    root.classList.toggle('mlw-open', open);
    storageSet('sessionStorage', CLOSED_KEY, open ? null : '1');
    if (focus) (open ? input : launcher).focus();
    if (open) scrollToEnd();
  }

  // ---------------------------------------------------------------- events

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) {
      input.focus();
      return;
    }
    input.value = '';
    updateHint();
    send(text);
    input.focus();
  });

  input.addEventListener('keydown', (event) => {
    // Enter sends, Shift+Enter is a new line; never while an IME is composing.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input.addEventListener('input', updateHint);

  panel.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    if (!settingsPanel.hidden) {
      toggleSettings(false);
      settingsButton.focus();
    } else {
      setOpen(false);
    }
    event.stopPropagation();
  });

  function toggleSettings(open) {
    settingsPanel.hidden = !open;
    settingsButton.setAttribute('aria-expanded', String(open));
  }

  launcher.addEventListener('click', () => setOpen(true));
  closeButton.addEventListener('click', () => setOpen(false));
  settingsButton.addEventListener('click', () => toggleSettings(settingsPanel.hidden));

  function saveLocale() {
    storageSet('localStorage', LOCALE_KEY, localeTag());
    applyLabels();
  }
  langSelect.addEventListener('change', () => {
    locale.lang = langSelect.value === 'ru' ? 'ru' : 'en';
    saveLocale();
  });
  countrySelect.addEventListener('change', () => {
    locale.country = countrySelect.value;
    saveLocale();
  });

  endButton.addEventListener('click', async () => {
    try {
      await api('POST', 'session/end');
    } catch {
      /* the cookie is a session cookie: closing the browser ends it anyway */
    }
    state.rendered.clear();
    log.replaceChildren(introEl);
    toggleSettings(false);
    setStatus(t().ended);
    await startSession();
    input.focus();
  });

  // Unsent messages live only in memory (no message text in browser storage): warn
  // before the page goes away with one still waiting.
  window.addEventListener('beforeunload', (event) => {
    if (state.outbox.length) {
      event.preventDefault();
      event.returnValue = t().unsent;
    }
  });

  // ---------------------------------------------------------------- start

  function mount() {
    document.body.append(root);
    applyLabels();
    const open = script.dataset.open === 'true' && storageGet('sessionStorage', CLOSED_KEY) !== '1';
    setOpen(open, { focus: false });
    setStatus(t().connecting);
    startSession().then(() => {
      if (status.textContent === t().connecting) setStatus('');
    });
  }

  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount, { once: true });
})();
