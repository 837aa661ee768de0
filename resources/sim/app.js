/* The simulated trading page: plain browser WebSockets speaking Engine.IO 4 / Socket.IO like
   the real page, real selectors, a React-like controlled amount input and a canvas chart. */
(function () {
  'use strict';

  var IS_DEMO = location.pathname.indexOf('demo') !== -1;
  var UID = 90000001;
  var SESSION = randomHex(32);
  var HISTORY_PAGE = 150;

  var state = {
    assets: {},          // symbol -> {id, symbol, name, type, payout, active, expirations}
    order: [],           // symbols in updateAssets order
    favourites: [],
    current: null,
    period: 60,
    amount: 10,
    amountText: '10',
    expiry: 60,
    balance: null,
    opened: [],
    closed: [],
    candles: [],         // ascending {t, o, h, l, c} of the current asset at state.period
    authed: false,
    requestId: Math.floor(Math.random() * 1e6) * 100
  };
  window.__qfsim = state;

  function $(selector, root) { return (root || document).querySelector(selector); }
  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }
  function randomHex(n) {
    var bytes = new Uint8Array(n / 2);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function money(v) {
    return Number(v).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  }
  function hms(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return [h, m, s].map(function (x) { return (x < 10 ? '0' : '') + x; }).join(':');
  }
  function periodLabel(p) {
    if (p < 60) return 'S' + p;
    if (p < 3600) return 'M' + (p / 60);
    return 'H' + (p / 3600);
  }
  function displayName(symbol) {
    var a = state.assets[symbol];
    return a ? a.name : symbol;
  }

  /* ---------- Engine.IO / Socket.IO over a plain WebSocket ---------- */
  function EioSocket(path, onEvent, onConnect, onState) {
    this.path = path;
    this.onEvent = onEvent;
    this.onConnect = onConnect || function () {};
    this.onState = onState || function () {};
    this.attempts = 0;
    this.ws = null;
    this.ready = false;
    this.connect();
  }
  EioSocket.prototype.connect = function () {
    var self = this;
    var ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + self.path);
    var pending = null;
    ws.binaryType = 'arraybuffer';
    self.ws = ws;
    self.ready = false;
    ws.onmessage = function (message) {
      try {
        if (typeof message.data !== 'string') {
          if (pending !== null) {
            var name = pending;
            pending = null;
            self.onEvent(name, JSON.parse(new TextDecoder().decode(message.data)));
          }
          return;
        }
        var text = message.data;
        if (text === '2') { ws.send('3'); return; }
        if (text.charAt(0) === '0') { ws.send('40'); return; }
        if (text.indexOf('40') === 0) {
          self.ready = true;
          self.attempts = 0;
          self.onState('connected');
          self.onConnect();
          return;
        }
        if (text.indexOf('41') === 0) { ws.close(); return; }
        if (text.indexOf('451-') === 0) {
          pending = JSON.parse(text.slice(4))[0];
          return;
        }
        if (text.indexOf('42') === 0) {
          var packet = JSON.parse(text.slice(2).replace(/^\d+/, ''));
          self.onEvent(packet[0], packet[1]);
        }
      } catch (err) {
        pending = null;
        console.warn('sim page: unreadable frame ignored', err);
      }
    };
    ws.onclose = function () {
      self.ready = false;
      self.onState('reconnecting');
      var delay = Math.min(1000 * Math.pow(2, self.attempts), 5000);
      self.attempts += 1;
      setTimeout(function () { self.connect(); }, delay);
    };
  };
  EioSocket.prototype.emit = function (name, payload) {
    if (!this.ready) return false;
    this.ws.send('42' + JSON.stringify(payload === undefined ? [name] : [name, payload]));
    return true;
  };

  /* ---------- account markers ---------- */
  function renderAccount() {
    $('.balance-info-block__label').textContent = IS_DEMO ? 'QT Demo' : 'QT Real';
    var holder = $('.balance-info-block__value');
    holder.innerHTML = '';
    holder.appendChild(el('span', IS_DEMO ? 'js-balance-demo' : 'js-balance-real-USD',
      state.balance === null ? '...' : money(state.balance)));
    $('.chart-block').classList.toggle('is-chart-demo', IS_DEMO);
  }

  /* ---------- assets, picker, favourites ---------- */
  function renderCurrent() {
    var a = state.assets[state.current];
    $('.current-symbol').textContent = a ? a.name : (state.current || '');
    $('.current-symbol__payout').textContent = a ? '+' + a.payout + '%' : '';
    $('.block--payout .value__val-start').textContent = a ? '+' + a.payout + '%' : '+0%';
    var closed = !a || !a.active;
    $all('#put-call-buttons-chart-1 .btn').forEach(function (b) { b.classList.toggle('disabled', closed); });
    $all('.assets-favorites-item').forEach(function (item) {
      item.classList.toggle('assets-favorites-item--active', item.dataset.symbol === state.current);
    });
  }

  function renderPicker() {
    var list = $('.alist');
    var query = $('input.search__field').value.trim().toLowerCase();
    list.innerHTML = '';
    state.order.forEach(function (symbol) {
      var a = state.assets[symbol];
      if (query && a.name.toLowerCase().indexOf(query) === -1 && symbol.toLowerCase().indexOf(query) === -1) return;
      var item = el('div', 'alist__item' + (a.active ? '' : ' alist__item--closed'));
      item.dataset.symbol = symbol;
      var link = el('a', 'alist__link');
      link.href = '#';
      link.appendChild(el('span', 'alist__label', a.name));
      link.appendChild(el('span', 'alist__payout', a.active ? '+' + a.payout + '%' : 'closed'));
      link.addEventListener('click', function (e) {
        e.preventDefault();
        if (!a.active) return;
        closePicker();
        selectAsset(symbol);
      });
      item.appendChild(link);
      list.appendChild(item);
    });
  }

  function renderFavourites() {
    var bar = $('#js-assets-favorites-slider');
    bar.innerHTML = '';
    state.favourites.forEach(function (symbol) {
      var a = state.assets[symbol];
      if (!a) return;
      var item = el('div', 'assets-favorites-item');
      item.dataset.symbol = symbol;
      item.appendChild(el('span', 'assets-favorites-item__label', a.name));
      var payout = el('span', 'payout');
      payout.appendChild(el('span', 'payout__number', '+' + a.payout));
      item.appendChild(payout);
      item.addEventListener('click', function () { selectAsset(symbol); });
      bar.appendChild(item);
    });
    renderCurrent();
  }

  function openPicker() {
    $('.asset-picker').hidden = false;
    renderPicker();
    $('input.search__field').focus();
  }
  function closePicker() { $('.asset-picker').hidden = true; }

  function selectAsset(symbol) {
    if (state.current && state.current !== symbol) trading.emit('unsubfor', state.current);
    state.current = symbol;
    state.candles = [];
    renderCurrent();
    trading.emit('changeSymbol', { asset: symbol, period: state.period });
    trading.emit('subfor', symbol);
  }

  /* ---------- trade panel ---------- */
  var amountInput = $('#put-call-buttons-chart-1 input[type="text"]');
  function renderAmount() {
    if (amountInput.value !== state.amountText) amountInput.value = state.amountText;
  }
  function takeAmount() {
    state.amountText = amountInput.value;
    var v = parseFloat(amountInput.value.replace(/[^0-9.]/g, ''));
    if (isFinite(v) && v > 0) state.amount = v;
  }
  function normaliseAmount() {
    takeAmount();
    state.amountText = String(state.amount);
    renderAmount();
  }
  amountInput.addEventListener('input', takeAmount);
  amountInput.addEventListener('change', normaliseAmount);
  amountInput.addEventListener('blur', normaliseAmount);
  // A controlled field: whatever is shown comes from state, so a bare value= does not stick.
  setInterval(renderAmount, 300);

  function renderExpiry() { $('.block--expiration-inputs .value__val').textContent = hms(state.expiry); }
  $('.block--expiration-inputs .control__value').addEventListener('click', function () {
    var picker = $('.dops__timeframes');
    picker.hidden = !picker.hidden;
  });
  $all('.dops__timeframes-item').forEach(function (item) {
    item.addEventListener('click', function () {
      state.expiry = parseInt(item.dataset.seconds, 10);
      renderExpiry();
      $('.dops__timeframes').hidden = true;
    });
  });

  function placeOrder(action) {
    var a = state.assets[state.current];
    if (!a || !a.active) { noty('noty-error', 'This asset is closed'); return; }
    state.requestId += 1;
    var sent = trading.emit('openOrder', {
      asset: state.current, amount: state.amount, action: action, isDemo: IS_DEMO ? 1 : 0,
      requestId: state.requestId, optionType: 100, time: state.expiry
    });
    if (!sent) noty('noty-error', 'No connection to the server');
  }
  $('.btn-call').addEventListener('click', function (e) { e.preventDefault(); placeOrder('call'); });
  $('.btn-put').addEventListener('click', function (e) { e.preventDefault(); placeOrder('put'); });
  document.addEventListener('keydown', function (e) {
    if (!e.shiftKey || e.target === amountInput || e.target.classList.contains('search__field')) return;
    var key = e.key.toLowerCase();
    if (key === 'w') placeOrder('call');
    else if (key === 's') placeOrder('put');
    else if (key === 'd' || key === 'a') {
      state.amount = Math.max(1, state.amount + (key === 'd' ? 1 : -1));
      state.amountText = String(state.amount);
      renderAmount();
    }
  });

  function noty(cls, text) {
    var box = el('div', cls, text);
    $('.noty-container').appendChild(box);
    setTimeout(function () { box.remove(); }, 4000);
  }

  /* ---------- open / closed trades ---------- */
  function renderDeals() {
    var opened = $('.deals-list--opened');
    var now = Date.now() / 1000 + 7200;
    opened.innerHTML = '';
    state.opened.forEach(function (d) {
      var row = el('div', 'deals-list__item deals-list__item--open');
      row.dataset.id = d.id;
      var left = Math.max(0, Math.round(d.closeTimestamp - now));
      row.appendChild(el('div', 'deals-list__name', displayName(d.asset) + ' +' + d.percentProfit + '%'));
      row.appendChild(el('div', 'deals-list__info',
        (d.command === 0 ? 'UP' : 'DOWN') + ' $' + d.amount + ' ' + hms(left)));
      opened.appendChild(row);
    });
    var closed = $('.deals-list--closed');
    closed.innerHTML = '';
    state.closed.slice(0, 20).forEach(function (d) {
      var row = el('div', 'deals-list__item ' + (d.profit > 0 ? 'deals-list__item--win' : 'deals-list__item--loss'));
      row.appendChild(el('div', 'deals-list__name', displayName(d.asset)));
      row.appendChild(el('div', 'deals-list__info', '$' + d.amount + ' -> ' + (d.profit >= 0 ? '+' : '') + d.profit));
      closed.appendChild(row);
    });
  }
  setInterval(renderDeals, 1000);
  $all('.right-block__tab[data-tab]').forEach(function (tab) {
    tab.addEventListener('click', function () {
      $all('.right-block__tab').forEach(function (t) { t.classList.toggle('right-block__tab--active', t === tab); });
      $('.deals-list--opened').hidden = tab.dataset.tab !== 'opened';
      $('.deals-list--closed').hidden = tab.dataset.tab !== 'closed';
    });
  });
  function ownAccount(deal) { return (deal.isDemo === 1) === IS_DEMO; }

  /* ---------- chart ---------- */
  function addPrice(t, price) {
    var bucket = Math.floor(t / state.period) * state.period;
    var last = state.candles[state.candles.length - 1];
    if (last && last.t === bucket) {
      last.c = price; last.h = Math.max(last.h, price); last.l = Math.min(last.l, price);
    } else if (!last || bucket > last.t) {
      state.candles.push({ t: bucket, o: price, h: price, l: price, c: price });
    }
  }
  function draw() {
    var canvas = $('#sim-chart');
    var ctx = canvas.getContext('2d');
    ctx.fillStyle = '#141824';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    var shown = state.candles.slice(-80);
    if (!shown.length) return;
    var hi = Math.max.apply(null, shown.map(function (c) { return c.h; }));
    var lo = Math.min.apply(null, shown.map(function (c) { return c.l; }));
    var span = (hi - lo) || 1;
    var w = canvas.width / 80;
    function y(v) { return 10 + (hi - v) / span * (canvas.height - 20); }
    shown.forEach(function (c, i) {
      var x = i * w + w / 2;
      ctx.strokeStyle = ctx.fillStyle = c.c >= c.o ? '#2e9e4f' : '#c8383f';
      ctx.beginPath(); ctx.moveTo(x, y(c.h)); ctx.lineTo(x, y(c.l)); ctx.stroke();
      var top = y(Math.max(c.o, c.c));
      ctx.fillRect(x - w * 0.35, top, w * 0.7, Math.max(1, y(Math.min(c.o, c.c)) - top));
    });
    ctx.fillStyle = '#dfe3ee';
    ctx.fillText(displayName(state.current) + ' ' + shown[shown.length - 1].c + ' ' + periodLabel(state.period), 8, 14);
  }
  setInterval(draw, 250);

  function loadMoreHistory() {
    if (!state.candles.length) return;
    var earliest = state.candles[0].t;
    trading.emit('loadHistoryPeriod', {
      asset: state.current, index: Math.floor(earliest * 100 + Math.random() * 100),
      time: earliest, offset: HISTORY_PAGE * state.period, period: state.period
    });
  }
  $('#sim-chart').addEventListener('wheel', function (e) { if (e.deltaY < 0 || e.deltaX < 0) loadMoreHistory(); });

  $('a.items__link--chart-type').addEventListener('click', function (e) {
    e.preventDefault();
    var list = $('.items__list');
    list.hidden = !list.hidden;
  });
  $all('.items__list .item').forEach(function (item) {
    item.addEventListener('click', function () {
      state.period = parseInt(item.dataset.period, 10);
      $('a.items__link--chart-type').textContent = item.textContent;
      $('.items__list').hidden = true;
      state.candles = [];
      if (state.current) trading.emit('changeSymbol', { asset: state.current, period: state.period });
    });
  });

  /* ---------- trading socket events ---------- */
  var handlers = {
    successauth: function () {
      state.authed = true;
      if (state.current) selectAsset(state.current);
    },
    updateAssets: function (rows) {
      state.order = [];
      rows.forEach(function (r) {
        state.assets[r[1]] = { id: r[0], symbol: r[1], name: r[2], type: r[3], payout: r[5], active: !!r[14], expirations: r[15] };
        state.order.push(r[1]);
      });
      renderFavourites();
      if (!$('.asset-picker').hidden) renderPicker();
    },
    successupdateBalance: function (p) {
      if ((p.isDemo === 1) !== IS_DEMO) return;
      state.balance = p.balance;
      renderAccount();
    },
    updateCharts: function (charts) {
      if (state.current || !charts.length) return;
      var settings = JSON.parse(charts[0].settings);
      selectAsset(settings.symbol);
    },
    'successfavorite/change': function (list) { state.favourites = list; renderFavourites(); },
    updateHistoryNewFast: function (p) {
      if (p.asset !== state.current || p.period !== state.period) return;
      state.candles = p.candles.slice().reverse().map(function (c) {
        return { t: c[0], o: c[1], c: c[2], h: c[3], l: c[4] };
      });
      p.history.forEach(function (tick) { addPrice(tick[0], tick[1]); });
    },
    loadHistoryPeriodFast: function (p) {
      if (p.asset !== state.current || p.period !== state.period) return;
      var first = state.candles.length ? state.candles[0].t : Infinity;
      var older = p.data.filter(function (c) { return c.time < first; }).map(function (c) {
        return { t: c.time, o: c.open, c: c.close, h: c.high, l: c.low };
      });
      state.candles = older.concat(state.candles);
    },
    updateStream: function (ticks) {
      ticks.forEach(function (t) { if (t[0] === state.current) addPrice(t[1], t[2]); });
    },
    successopenOrder: function (deal) {
      if (!state.opened.some(function (d) { return d.id === deal.id; })) state.opened.push(deal);
      noty('deals-noty-streamer', 'Trade placed: ' + displayName(deal.asset) + ' ' +
        (deal.command === 0 ? 'UP' : 'DOWN') + ' $' + deal.amount);
      renderDeals();
    },
    failopenOrder: function (p) { noty('noty-error', 'Trade not placed: ' + p.error); },
    updateOpenedDeals: function (list) { state.opened = list.filter(ownAccount); renderDeals(); },
    updateClosedDeals: function (list) { state.closed = list.filter(ownAccount); renderDeals(); },
    successcloseOrder: function (p) {
      noty('noty-result', 'Trade closed: ' + (p.profit >= 0 ? '+' : '') + p.profit);
    }
  };

  var trading = new EioSocket('/socket.io/?EIO=4&transport=websocket',
    function (name, payload) { if (handlers[name]) handlers[name](payload); },
    function () {
      trading.emit('auth', { session: SESSION, isDemo: IS_DEMO ? 1 : 0, uid: UID, platform: 2 });
    },
    function (s) { $('#sim-socket-state').textContent = s; });
  new EioSocket('/chat/socket.io/?EIO=4&transport=websocket', function () {});
  setInterval(function () { trading.emit('ps'); }, 20000);

  /* ---------- page chrome ---------- */
  function renameClasses(renames) {  /* the platform changed its markup (control rename_class) */
    Object.keys(renames).forEach(function (old) {
      document.querySelectorAll('.' + old).forEach(function (el) {
        el.classList.remove(old);
        el.classList.add(renames[old]);
      });
    });
  }

  $('.pair-number-wrap').addEventListener('click', openPicker);
  $('.modal-overlay').addEventListener('click', closePicker);
  $('input.search__field').addEventListener('input', renderPicker);
  $('.tutorial-v1__close-icon').addEventListener('click', function () { $('.tutorial-v1').hidden = true; });

  if (window.EventSource) {
    var events = new EventSource('/_sim/events');
    events.onmessage = function (e) {
      var msg = JSON.parse(e.data);
      if (msg.navigate && location.pathname !== msg.navigate) location.href = msg.navigate;
      if (msg.tutorial) $('.tutorial-v1').hidden = false;
      if (msg.rename) renameClasses(msg.rename);
    };
  }
  renameClasses(window.SIM_RENAMES || {});

  renderAccount();
  renderExpiry();
  renderAmount();
})();
