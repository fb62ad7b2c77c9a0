// The report pages' behaviour (comparison, sweep, validation): table sorting and filtering, the
// overview's metric switch, and the uPlot charts of the windows, tearsheets and plots, drawn
// when they come into view or are opened. Each part runs only where its elements are.
(() => {
  'use strict';
  const started = performance.now();
  // A section's data, parsed when it is drawn: every series is an index into its pool, where
  // identical arrays are stored once.
  const sectionData = (el) => JSON.parse(el.querySelector('script.data').textContent);
  // Drawdowns come in thousandths.
  const thousandths = (P, i) => P[i].map((v) => (v == null ? null : v / 1000));
  // Seven run colours and the benchmark's black: at most 8 colours in view at once.
  const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2'];
  const SHADES = ['rgba(255,165,40,.22)', 'rgba(70,140,255,.18)', 'rgba(80,190,80,.2)',
    'rgba(230,70,70,.16)', 'rgba(160,100,220,.18)', 'rgba(140,140,140,.22)',
    'rgba(230,210,40,.25)', 'rgba(40,190,190,.18)'];
  const DAY = 86400;
  const ts = (d) => Date.UTC(Math.floor(d / 10000), Math.floor(d / 100) % 100 - 1, d % 100) / 1000;
  // The drawn days: the first as yyyymmdd, then the calendar days from each to the next.
  const days = (steps) => {
    const out = new Array(steps.length);
    let t = ts(steps[0]);
    out[0] = t;
    for (let k = 1; k < steps.length; k++) { t += steps[k] * DAY; out[k] = t; }
    return out;
  };
  const dateText = (v) => (v == null ? '' : new Date(v * 1000).toISOString().slice(0, 10));
  const pct = (v) => (v == null || !isFinite(v) ? '–' : (v * 100).toFixed(1) + '%');
  const gain = (v) => (v == null || !isFinite(v) ? '–' : ((v - 1) * 100).toFixed(1) + '%');
  // Axis ticks: whole percents.
  const pctTick = (v) => (v == null ? '' : Math.round(v * 100) + '%');
  const gainTick = (v) => (v == null ? '' : Math.round((v - 1) * 100) + '%');
  const fixed = (v) => (v == null || !isFinite(v) ? '–' : v.toFixed(2));
  // Index levels and ratios on an axis: whole numbers from 100 up, else two decimals.
  const levelTick = (v) => (v == null ? '' : Math.abs(v) >= 100 ? String(Math.round(v)) : v.toFixed(2));
  const charts = (window.cyclebtCharts = {});
  const width = () => Math.max(600, Math.min(1100, document.body.clientWidth - 40));

  // The overview's metric: every grid cell carries each metric's text and colour.
  const metric = document.getElementById('metric');
  if (metric) metric.addEventListener('change', () => {
    const k = metric.value;
    for (const td of document.querySelectorAll('table.grid td')) {
      const target = td.querySelector('a') || td;
      target.textContent = td.dataset['t' + k];
      td.className = td.dataset['c' + k];
    }
  });

  // Shades the stretches of the chosen label track behind the lines.
  const shading = (state, P) => (u) => {
    const track = state.track;
    if (!track) return;
    const { ctx } = u;
    const { top, height } = u.bbox;
    ctx.save();
    const spans = P[track.spans];
    for (let k = 0; k < spans.length; k += 3) {
      const [label, a, b] = spans.slice(k, k + 3);
      const x0 = u.valToPos(ts(a), 'x', true), x1 = u.valToPos(ts(b) + DAY, 'x', true);
      ctx.fillStyle = SHADES[(label - 1) % SHADES.length];
      ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
    }
    ctx.restore();
  };
  const showKeys = (holder, track) => {
    if (!holder) return;
    holder.innerHTML = '';
    if (!track) return;
    track.names.forEach((name, k) => {
      if (!name) return;
      const key = document.createElement('span');
      key.innerHTML = `<i style="background:${SHADES[k % SHADES.length]}"></i>`;
      key.appendChild(document.createTextNode(name));
      holder.appendChild(key);
    });
  };

  // One chart; `log` puts y on a log scale (base 2: each tick a doubling).
  const chart = (host, { title, height, x, series, log, values, legend, hooks, scales, axes, xValue }) => {
    const opts = {
      title, width: width(), height,
      legend: { show: legend !== false, live: true },
      cursor: { drag: { x: true, y: false } },
      scales: scales || { x: { time: true }, y: log ? { distr: 3, log: 2 } : {} },
      axes: axes || [{}, { values: (u, splits) => splits.map(values), size: 72 }],
      series: [{ value: xValue || ((u, v) => dateText(v)) }, ...series],
      hooks: hooks || {},
    };
    return new uPlot(opts, [x, ...series.map((s) => s.data)], host);
  };
  const line = (label, values, stroke, format, show = true) => ({
    label, data: values, stroke, width: 1.25, show, value: (u, v) => format(v), spanGaps: false,
  });
  const positive = (values, log) => (log ? values.map((v) => (v != null && v > 0 ? v : null)) : values);

  // Keeps zoom in step across a window's charts.
  const linkZoom = (group) => {
    let busy = false;
    for (const c of group) {
      c.hooks.setScale = c.hooks.setScale || [];
    }
    return (u, key) => {
      if (key !== 'x' || busy) return;
      busy = true;
      const { min, max } = u.scales.x;
      for (const other of group) if (other !== u) other.setScale('x', { min, max });
      busy = false;
    };
  };

  function drawWindow(section) {
    const w = sectionData(section);
    const P = w.pool;
    const x = days(P[w.x]);
    const host = section.querySelector('.charts');
    const select = section.querySelector('select.shade');
    const keys = section.querySelector('.keys');
    const state = { track: w.labels.length ? w.labels[0] : null };
    showKeys(keys, state.track);
    // Colours go to the runs shown. Shown first: each strategy's first sizing rule, so the
    // strategies can be told apart, then further runs in order, seven in all.
    const strategyOf = (r) => r.name.split(' / ')[0];
    const firsts = w.runs.map((_, i) => i).filter((i) => i === w.runs.findIndex((r) => strategyOf(r) === strategyOf(w.runs[i])));
    const rest = w.runs.map((_, i) => i).filter((i) => !firsts.includes(i));
    const order = [...firsts, ...rest].slice(0, COLOURS.length).sort((a, b) => a - b);
    const colour = w.runs.map(() => null);
    order.forEach((run, k) => { colour[run] = COLOURS[k]; });
    const runStroke = (i) => () => colour[i] || '#999';
    const group = [];
    const zoom = linkZoom(group);
    const hooks = (extra = {}) => ({ drawClear: [shading(state, P)], setSelect: [], setScale: [zoom], ...extra });
    const runs = (key, format, log) => w.runs.map((r, i) => line(r.name, positive(key === 'dd' ? thousandths(P, r.dd) : P[r[key]], log), runStroke(i), format, colour[i] !== null));
    let syncing = false;
    const onSeries = (u, i, opts) => {
      if (syncing || i == null || opts.show === undefined) return;
      syncing = true;
      const run = i - 2;
      if (run >= 0) {
        if (opts.show && !colour[run]) {
          // No free colour: hide the run shown longest, then take its colour.
          if (order.length >= COLOURS.length) {
            const oldest = order.shift();
            const freed = colour[oldest];
            colour[oldest] = null;
            for (const c of group) c.setSeries(oldest + 2, { show: false });
            colour[run] = freed;
          } else {
            colour[run] = COLOURS.find((c) => !colour.includes(c));
          }
          order.push(run);
        } else if (!opts.show && colour[run]) {
          colour[run] = null;
          order.splice(order.indexOf(run), 1);
        }
      }
      for (const c of group) {
        if (c !== u) c.setSeries(i, { show: opts.show });
        c.redraw(false);
      }
      markers(group[0]);
      syncing = false;
    };
    const markers = (u) => {
      u.root.querySelectorAll('.u-legend .u-series').forEach((row, i) => {
        const mark = row.querySelector('.u-marker');
        if (!mark || i < 2) return;
        const c = colour[i - 2] || '#999';
        mark.style.borderColor = c;
        mark.style.background = c;
      });
    };
    const equity = chart(host, {
      title: 'equity over starting capital, as a return' + (w.log ? ' (log scale)' : ''), height: 300, x, log: w.log,
      values: gainTick,
      series: [line('buy-and-hold', positive(P[w.bench], w.log), '#000', gain), ...runs('growth', gain, w.log)],
      hooks: hooks({ setSeries: [onSeries] }),
    });
    group.push(equity);
    const under = chart(host, {
      title: 'drawdown', height: 170, x, values: pctTick, legend: false,
      series: [line('buy-and-hold', thousandths(P, w.bench_dd), '#000', pct), ...runs('dd', pct, false)], hooks: hooks(),
    });
    group.push(under);
    const exposure = chart(host, {
      title: 'exposure', height: 150, x, values: pctTick, legend: false,
      series: [line('buy-and-hold', x.map(() => null), '#000', pct), ...runs('exp', pct, false)], hooks: hooks(),
    });
    group.push(exposure);
    markers(equity);
    if (select) {
      select.addEventListener('change', () => {
        state.track = select.value >= 0 ? w.labels[+select.value] : null;
        showKeys(keys, state.track);
        group.forEach((c) => c.redraw(false));
      });
    }
    charts[section.id] = group;
  }

  function drawSheet(details) {
    const s = sectionData(details);
    const P = s.pool;
    const x = days(P[s.x]);
    const host = details.querySelector('.charts');
    const state = { track: s.labels.length ? s.labels[0] : null };
    const keys = document.createElement('p');
    keys.className = 'note keys';
    host.appendChild(keys);
    if (state.track) {
      showKeys(keys, state.track);
      keys.prepend(document.createTextNode(`Shaded: the days ${state.track.plugin} labels:`));
    }
    const group = [];
    const zoom = linkZoom(group);
    const hooks = (extra = {}) => ({ drawClear: [shading(state, P)], setScale: [zoom], ...extra });
    group.push(chart(host, {
      title: 'equity against buy-and-hold' + (s.log ? ' (log scale)' : ''), height: 260, x, log: s.log, values: gainTick,
      series: [line('buy-and-hold', positive(P[s.bench], s.log), '#000', gain), line('strategy', positive(P[s.growth], s.log), COLOURS[0], gain)],
      hooks: hooks(),
    }));
    group.push(chart(host, {
      title: 'underwater', height: 150, x, values: pctTick,
      series: [{ ...line('drawdown', thousandths(P, s.dd), COLOURS[3], pct), fill: 'rgba(214,39,40,.15)' }], hooks: hooks(),
    }));
    // The index with the trades: entries up, exits down, forced sales crossed.
    const marks = (u) => {
      const { ctx } = u;
      ctx.save();
      const all = P[s.marks];
      for (let k = 0; k < all.length; k += 3) {
        const [d, kind, price] = all.slice(k, k + 3);
        if (price == null || (s.log && price <= 0)) continue;
        const px = u.valToPos(ts(d), 'x', true), py = u.valToPos(price, 'y', true);
        if (px < u.bbox.left || px > u.bbox.left + u.bbox.width) continue;
        ctx.beginPath();
        if (kind === 0) { ctx.fillStyle = '#2ca02c'; ctx.moveTo(px, py + 2); ctx.lineTo(px - 5, py + 10); ctx.lineTo(px + 5, py + 10); ctx.fill(); }
        else if (kind === 1) { ctx.fillStyle = '#d62728'; ctx.moveTo(px, py - 2); ctx.lineTo(px - 5, py - 10); ctx.lineTo(px + 5, py - 10); ctx.fill(); }
        else { ctx.strokeStyle = '#7b1fa2'; ctx.lineWidth = 2; ctx.moveTo(px - 6, py - 6); ctx.lineTo(px + 6, py + 6); ctx.moveTo(px + 6, py - 6); ctx.lineTo(px - 6, py + 6); ctx.stroke(); }
      }
      ctx.restore();
    };
    group.push(chart(host, {
      title: 'index with entries, exits and forced sales', height: 260, x, log: s.log, values: levelTick,
      series: [line('index close', positive(P[s.close], s.log), '#555', fixed)], hooks: hooks({ draw: [marks] }),
    }));
    group.push(chart(host, {
      title: 'rolling six-month Sharpe ratio (left, cut at ±5) and volatility (right)', height: 180, x,
      // The Sharpe axis kept within -5..5: a first half-year of a few points can reach 20 and
      // would flatten every later value; hover still gives the value.
      scales: { x: { time: true }, y: { range: (u, lo, hi) => [Math.max(lo, -5), Math.min(hi, 5)] }, vol: {} },
      axes: [{}, { values: (u, v) => v.map(levelTick), size: 50 }, { scale: 'vol', side: 1, values: (u, v) => v.map(pctTick), size: 60, grid: { show: false } }],
      series: [line('Sharpe ratio', P[s.sharpe], COLOURS[0], fixed), { ...line('volatility', P[s.vol], COLOURS[1], pct), scale: 'vol' }], hooks: hooks(),
    }));
    group.push(chart(host, {
      title: 'exposure and debt (over equity)', height: 160, x, values: pctTick,
      series: [line('exposure', P[s.exp], COLOURS[2], pct), line('debt / equity', P[s.debt], COLOURS[4], pct)], hooks: hooks(),
    }));
    sheetTables(details.querySelector('.tables'), s.tables, P);
    charts[details.id] = group;
  }

  // A tearsheet's tables, from its numbers.
  const day = (d) => (d ? `${Math.floor(d / 10000)}-${String(Math.floor(d / 100) % 100).padStart(2, '0')}-${String(d % 100).padStart(2, '0')}` : '');
  const table = (headers, rows, cls = '') => `<table class="${cls}"><thead><tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${
    rows.map((r) => `<tr>${r.join('')}</tr>`).join('')}</tbody></table>`;
  const td = (text, cls = '') => `<td${cls ? ` class="${cls}"` : ''}>${text}</td>`;
  // The colour class of a value as in the overview (report.css): green at and above 0, red
  // below, in five steps of its share of the table's largest.
  const heat = (v, scale) => {
    if (v == null) return 'na';
    const step = scale > 0 ? Math.min(5, Math.round(Math.abs(v) / scale * 5)) : 0;
    return v >= 0 || step === 0 ? `g${step}` : `r${step}`;
  };
  function sheetTables(host, t, P) {
    const months = P[t.months], bench = P[t.bench_years];
    // Colours scaled to the 90th percentile of the months' sizes, not the largest: one month
    // of +150% would leave every other cell white.
    const sizes = months.filter((v, i) => v != null && i % 13 !== 12).map(Math.abs).sort((a, b) => a - b);
    const scale = sizes.length ? sizes[Math.floor((sizes.length - 1) * 0.9)] : 0;
    const names = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec', 'year'];
    const monthRows = t.years.map((y, r) => [`<th>${y}</th>`, ...months.slice(r * 13, r * 13 + 13).map((v) => td(pct(v), heat(v, scale)))]);
    const widest = Math.max(1e-9, ...months.filter((v, i) => i % 13 === 12 && v != null).map(Math.abs), ...bench.filter((v) => v != null).map(Math.abs));
    const bar = (v) => `<td class="bar"><i class="${v >= 0 ? 'up' : 'down'}" style="width:${Math.round(Math.abs(v ?? 0) / widest * 120)}px"></i></td>`;
    const yearRows = t.years.map((y, r) => { const v = months[r * 13 + 12], b = bench[r]; return [td(y), td(pct(v)), bar(v), td(pct(b)), bar(b)]; });
    const drawdownRows = t.drawdowns.map(([peak, trough, recovery, depth, days, open]) =>
      [td(day(peak)), td(day(trough)), td(recovery ? day(recovery) : 'not recovered'), td(pct(depth)), td(days + (open ? '+' : ''))]);
    const tradeRows = t.trades.map(([entry, ep, exit, xp, net, fees, interest, forced]) =>
      [td(day(entry)), td(fixed(ep)), td(exit ? day(exit) : 'open'), td(exit ? fixed(xp) : ''), td(pct(net)), td(fixed(fees)), td(fixed(interest)), td(exit ? (forced ? 'forced sale' : 'strategy') : '')]);
    host.innerHTML = `<h3>Monthly returns</h3>${table(['year', ...names], monthRows, 'heat months')}`
      + `<h3>Yearly returns against buy-and-hold</h3>${table(['year', 'strategy', '', 'buy-and-hold', ''], yearRows, 'years')}`
      + `<h3>Worst drawdowns</h3>${table(['peak', 'trough', 'recovery', 'depth', 'trading days'], drawdownRows)}`
      + `<h3>Trades (${t.trades.length})</h3><div class="scroll">${table(['entry', 'price', 'exit', 'price', 'net return', 'fees', 'interest', 'closed by'], tradeRows)}</div>`;
  }

  // A plot of the validation page: dated lines (`kind` time) or bars over numbers (`bars`), its
  // axis formatted as `axis` says.
  const TICKS = { gain: [gain, gainTick], pct: [pct, pctTick], count: [(v) => (v == null ? '–' : String(v)), (v) => (v == null ? '' : String(v))], level: [fixed, levelTick] };
  function drawPlot(el) {
    const d = sectionData(el);
    const P = d.pool;
    const time = d.kind === 'time';
    const [format, tick] = TICKS[d.axis];
    const x = time ? days(P[d.x]) : P[d.x];
    const series = d.series.map((s) => {
      const base = line(s.name, positive(P[s.data], d.log), s.colour, format);
      return time ? base : { ...base, fill: s.colour, points: { show: false }, paths: uPlot.paths.bars({ size: [0.9, 40] }) };
    });
    charts[el.id] = [chart(el.querySelector('.charts'), {
      title: d.title, height: 300, x, log: d.log, values: tick, series,
      scales: time ? undefined : { x: { time: false }, y: { range: (u, lo, hi) => [0, hi] } },
      xValue: time ? undefined : (u, v) => fixed(v),
      axes: time ? undefined : [{ values: (u, v) => v.map(fixed) }, { values: (u, v) => v.map(tick), size: 50 }],
    })];
  }

  // The tables and the charts' sections may come after this script (the comparison page puts
  // it right after its overview, so that the overview works while the rest of the page, most
  // of its bytes, is still read): they are hooked up once the whole document is parsed.
  const hookBelow = () => {
    // Sorting: numbers (percent signs dropped) before text, n/a last; a second click reverses.
    document.querySelectorAll('table.sortable th').forEach((th, i) => {
      th.addEventListener('click', () => {
        const body = th.closest('table').tBodies[0];
        const rows = [...body.rows];
        const asc = th.dataset.asc !== '1';
        th.dataset.asc = asc ? '1' : '0';
        const key = (r) => { const v = parseFloat(r.cells[i].textContent.replace('%', '')); return isNaN(v) ? null : v; };
        rows.sort((a, c) => {
          const x = key(a), y = key(c);
          if (x === null && y === null) return a.cells[i].textContent.localeCompare(c.cells[i].textContent) * (asc ? 1 : -1);
          if (x === null) return 1;
          if (y === null) return -1;
          return asc ? x - y : y - x;
        });
        rows.forEach((r) => body.appendChild(r));
      });
    });

    // The summary's filters: window (exact) and strategy (any part of the name).
    const byWindow = document.getElementById('filter-window');
    const byStrategy = document.getElementById('filter-strategy');
    const filter = () => {
      const w = byWindow.value, s = byStrategy.value.trim().toLowerCase();
      for (const row of document.querySelectorAll('#summary tbody tr')) {
        const ok = (!w || row.cells[0].textContent === w) && (!s || row.cells[1].textContent.toLowerCase().includes(s));
        row.style.display = ok ? '' : 'none';
      }
    };
    if (byWindow && byStrategy) {
      byWindow.addEventListener('change', filter);
      byStrategy.addEventListener('input', filter);
    }

    const draw = (el) => (el.matches('section.window') ? drawWindow(el) : drawPlot(el));
    const seen = new IntersectionObserver((entries) => {
      for (const e of entries) {
        if (e.isIntersecting) { seen.unobserve(e.target); draw(e.target); }
      }
    }, { rootMargin: '400px' });
    document.querySelectorAll('section.window, section.plot').forEach((s) => seen.observe(s));
    document.querySelectorAll('details.sheet').forEach((d) => d.addEventListener('toggle', () => {
      if (d.open && !charts[d.id]) drawSheet(d);
    }));
    // A link to a window draws it at once, so the jump lands on its charts.
    window.cyclebtDraw = (id) => { const s = document.getElementById(id); if (s && s.matches('section.window') && !charts[id]) { seen.unobserve(s); drawWindow(s); } };
    window.addEventListener('hashchange', () => window.cyclebtDraw(location.hash.slice(1)));
    if (location.hash) window.cyclebtDraw(location.hash.slice(1));
    window.cyclebtLoaded = performance.now();
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', hookBelow);
  else hookBelow();
  // Ready: what is above this script works (on the comparison page, the overview's switch);
  // `cyclebtLoaded` says when the tables and charts below were hooked up too.
  window.cyclebtReady = performance.now();
  window.cyclebtScript = window.cyclebtReady - started;
})();
