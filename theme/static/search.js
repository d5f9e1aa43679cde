// Search the archive in the browser: a box in the header of every page, and the
// search page /search/ with facets, sorting and the query in the URL.
//
// Two engines sit behind one small adapter, chosen by data-search-engine:
//   load() -> { search(query, filters, sort, wantFacets) -> { total, facets, hits } }
// where facets is { tag|standard|section|year: { value: count } } (Pagefind counts only
// when wantFacets is set, which loads its filter index) and each hit is a
// function that resolves to { url, title, date, issue, section, tags, summary,
// text, positions }. "pagefind" fetches only the index chunks a query needs;
// "lunr" fetches one prebuilt index. Neither loads until the box is focused or
// the search page opens.
//
// Everything from the index reaches the page as DOM text nodes (textContent,
// createTextNode), never through innerHTML.
(function () {
  "use strict";
  var anchor = document.querySelector("form[data-search-engine]");
  if (!anchor) return;
  var base = anchor.dataset.searchBase || "/";
  var engineName = anchor.dataset.searchEngine;
  var FACETS = [["tag", "Tag"], ["standard", "Standard"], ["section", "Section"], ["year", "Year"]];
  var PAGE_SIZE = 10;
  var POPUP_SIZE = 6;
  var FACET_VALUES = 12;
  var EXCERPT_WORDS = 32;
  var DEBOUNCE_MS = 150;
  var MIN_CHARS = 2;
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December"];

  // ---------------------------------------------------------------- engines

  // The Pagefind index comes in shards (bundles): the primary one at pagefind/
  // with Pagefind's code, the others listed in pagefind/gazette-shards.json and
  // merged in with mergeIndex before the first search. Pagefind's own date sort
  // ranks each result within its shard only, so results are put in date order
  // here, from pagefind/gazette-dates.json (page id -> date), fetched only when
  // a reader sorts by date.
  function pagefindEngine() {
    var root = base + "pagefind/";
    var datesPromise = null;
    function dates() {
      if (!datesPromise) {
        datesPromise = getJSON(root + "gazette-dates.json");
        datesPromise.catch(function () { datesPromise = null; });
      }
      return datesPromise;
    }
    return Promise.all([
      import(root + "pagefind.js"),
      getJSON(root + "gazette-shards.json"),
    ]).then(function (loaded) {
      var pagefind = loaded[0];
      var bundles = loaded[1].bundles || [];
      return pagefind.options({ baseUrl: base }).then(function () {
        return Promise.all(bundles.map(function (path) {
          return pagefind.mergeIndex(root + path, { baseUrl: base });
        }));
      }).then(function () {
        return {
          search: function (query, filters, sort, facets) {
            // Counts come back only once the filter index is loaded; the header box skips it.
            var ready = facets ? pagefind.filters() : Promise.resolve();
            return Promise.all([
              ready.then(function () { return pagefind.search(query, { filters: filters }); }),
              sort === "date" ? dates() : null,
            ]).then(function (done) {
              var response = done[0];
              var results = done[1] ? byDate(response.results, done[1]) : response.results;
              return {
                total: results.length,
                facets: response.filters || {},
                hits: results.map(function (result) {
                  return function () { return result.data().then(fromPagefind); };
                }),
              };
            });
          },
        };
      });
    });
  }

  // Newest first; results of one date keep their order of relevance.
  function byDate(results, dates) {
    return results.map(function (result, at) {
      return { result: result, date: dates[result.id] || "", at: at };
    }).sort(function (a, b) {
      return b.date.localeCompare(a.date) || a.at - b.at;
    }).map(function (entry) { return entry.result; });
  }

  function fromPagefind(data) {
    // The record's content starts with the body; meta.words is its length.
    var meta = data.meta || {};
    var words = Number(meta.words) || 0;
    return {
      url: data.url,
      title: meta.title || data.url,
      date: meta.date || "",
      issue: meta.issue || "",
      section: meta.section || "",
      tags: (data.filters && data.filters.tag) || [],
      standards: (data.filters && data.filters.standard) || [],
      summary: meta.summary || "",
      text: data.content.split(" ").slice(0, words).join(" "),
      positions: (data.locations || []).filter(function (at) { return at < words; }),
    };
  }

  function lunrEngine() {
    return Promise.all([
      loadScript(base + "search/lunr.min.js"),
      getJSON(base + "search/lunr-index.json"),
      getJSON(base + "search/lunr-docs.json"),
    ]).then(function (loaded) {
      var lunr = window.lunr;
      var index = lunr.Index.load(loaded[1]);
      var docs = loaded[2];
      return {
        search: function (query, filters, sort) {
          var terms = lunr.tokenizer(query).map(function (token) {
            return lunr.trimmer(token).toString();
          }).filter(Boolean);
          var found = !terms.length ? [] : index.query(function (q) {
            terms.forEach(function (term, n) {
              q.term(term, { boost: 10 });
              // As you type, the last word is also a prefix (not stemmed).
              if (n === terms.length - 1) {
                q.term(term, { usePipeline: false, wildcard: lunr.Query.wildcard.TRAILING });
              }
            });
          }).map(function (match) { return docs[Number(match.ref)]; });
          found = found.filter(function (doc) { return passes(doc, filters); });
          if (sort === "date") {
            found.sort(function (a, b) { return b.date.localeCompare(a.date); });
          }
          return Promise.resolve({
            total: found.length,
            facets: countFacets(found),
            hits: found.map(function (doc) {
              return function () { return Promise.resolve(fromLunr(doc)); };
            }),
          });
        },
      };
    });
  }

  function facetValues(doc, key) {
    if (key === "tag") return doc.tags;
    if (key === "standard") return doc.standards || [];
    if (key === "year") return [doc.date.slice(0, 4)];
    return [doc[key]];
  }

  function passes(doc, filters) {
    return Object.keys(filters).every(function (key) {
      var values = facetValues(doc, key);
      return filters[key].every(function (value) { return values.indexOf(value) !== -1; });
    });
  }

  function countFacets(docs) {
    var counts = {};
    FACETS.forEach(function (facet) {
      var key = facet[0];
      counts[key] = {};
      docs.forEach(function (doc) {
        facetValues(doc, key).forEach(function (value) {
          counts[key][value] = (counts[key][value] || 0) + 1;
        });
      });
    });
    return counts;
  }

  function fromLunr(doc) {
    return {
      url: base + doc.url.replace(/^\//, ""),
      title: doc.title,
      date: doc.date,
      issue: doc.issue,
      section: doc.section,
      tags: doc.tags,
      summary: doc.summary,
      text: doc.text,
      positions: [],
    };
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = function () { reject(new Error("could not load " + src)); };
      document.head.appendChild(script);
    });
  }

  function getJSON(url) {
    return fetch(url).then(function (response) {
      if (!response.ok) throw new Error(url + ": " + response.status);
      return response.json();
    });
  }

  var enginePromise = null;
  function engine() {
    if (!enginePromise) {
      enginePromise = (engineName === "lunr" ? lunrEngine : pagefindEngine)();
      enginePromise.catch(function () { enginePromise = null; });
    }
    return enginePromise;
  }

  // ---------------------------------------------------------------- results

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function formatDate(iso) {
    var parts = iso.split("-").map(Number);
    if (parts.length !== 3 || !parts[0]) return iso;
    return parts[2] + " " + MONTHS[parts[1] - 1] + " " + parts[0];
  }

  // What to search for: nothing under two characters, and no one-letter last word
  // still being typed ("ministry o"): a single letter matches much of a large index.
  function searchable(typed) {
    var words = typed.trim().split(/\s+/);
    if (words.length > 1 && words[words.length - 1].length < MIN_CHARS) words.pop();
    var query = words.join(" ");
    return query.length < MIN_CHARS ? "" : query;
  }

  function hasCounts(facets) {
    return Object.keys(facets).some(function (key) { return Object.keys(facets[key]).length > 0; });
  }

  function queryTerms(query) {
    return query.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(function (term) {
      return term.length > 1;
    });
  }

  function isHit(word, terms) {
    var bare = word.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
    return bare !== "" && terms.some(function (term) { return bare.indexOf(term) === 0; });
  }

  // An excerpt around the first match, with matched words in <mark>.
  function excerpt(hit, terms) {
    var node = el("p", "search-excerpt");
    var words = hit.text ? hit.text.split(" ") : [];
    var marked = {};
    var first = -1;
    hit.positions.forEach(function (at) { marked[at] = true; });
    words.forEach(function (word, at) {
      if (!marked[at] && isHit(word, terms)) marked[at] = true;
      if (marked[at] && first === -1) first = at;
    });
    if (first === -1) {
      node.textContent = hit.summary || words.slice(0, EXCERPT_WORDS).join(" ");
      return node;
    }
    var start = Math.max(0, first - 8);
    var end = Math.min(words.length, start + EXCERPT_WORDS);
    var plain = start > 0 ? ["…"] : [];
    for (var at = start; at < end; at++) {
      if (marked[at]) {
        node.appendChild(document.createTextNode(plain.join(" ") + (plain.length ? " " : "")));
        node.appendChild(el("mark", "", words[at]));
        plain = [""];
      } else {
        plain.push(words[at]);
      }
    }
    if (end < words.length) plain.push("…");
    node.appendChild(document.createTextNode(plain.join(" ")));
    return node;
  }

  function renderHit(hit, terms, compact) {
    var item = el("li", "search-result");
    var title = el(compact ? "p" : "h2", "search-result-title");
    var link = el("a", "search-link", hit.title);
    link.href = hit.url;
    title.appendChild(link);
    item.appendChild(title);
    var meta = el("p", "meta");
    var time = el("time", "", formatDate(hit.date));
    time.dateTime = hit.date;
    meta.appendChild(time);
    [hit.issue, compact ? "" : hit.section].forEach(function (part) {
      if (!part) return;
      meta.appendChild(el("span", "", " · "));
      meta.appendChild(el("span", "", part));
    });
    item.appendChild(meta);
    item.appendChild(excerpt(hit, terms));
    if (hit.tags.length) {
      var tags = el("ul", "tags");
      tags.setAttribute("aria-label", "Tags");
      hit.tags.forEach(function (tag) {
        var entry = el("li");
        entry.appendChild(el("span", "tag", "#" + tag));
        tags.appendChild(entry);
      });
      item.appendChild(tags);
    }
    return item;
  }

  function loadHits(hits) {
    return Promise.all(hits.map(function (load) { return load(); }));
  }

  function plural(count) {
    return count + (count === 1 ? " result" : " results");
  }

  // Moves focus through the result links with ↑ and ↓; ↑ on the first goes back to the box.
  function arrowKeys(container, input, onEscape) {
    container.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        onEscape();
        return;
      }
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      var links = Array.prototype.slice.call(container.querySelectorAll("a.search-link"));
      var at = links.indexOf(document.activeElement);
      if (at === -1) return;
      event.preventDefault();
      var next = at + (event.key === "ArrowDown" ? 1 : -1);
      if (next < 0) input.focus();
      else if (next < links.length) links[next].focus();
    });
  }

  function focusFirstResult(container) {
    var first = container.querySelector("a.search-link");
    if (first) first.focus();
    return Boolean(first);
  }

  function debounce(fn, wait) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, wait);
    };
  }

  function failed(status) {
    status.textContent = "";
    status.appendChild(document.createTextNode("Search could not load. Browse "));
    var link = el("a", "", "the tag index");
    link.href = base + "tags/";
    status.appendChild(link);
    status.appendChild(document.createTextNode(" instead."));
  }

  // ---------------------------------------------------------------- header box

  function headerBox(form) {
    var input = form.querySelector("input[name=q]");
    var status = el("p", "visually-hidden");
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    var popup = el("div", "search-popup");
    popup.id = "search-popup";
    popup.hidden = true;
    var list = el("ol", "search-results compact");
    var all = el("a", "search-link search-all");
    popup.appendChild(list);
    popup.appendChild(all);
    form.appendChild(status);
    form.appendChild(popup);
    input.setAttribute("aria-controls", popup.id);
    var seq = 0;

    function close() { popup.hidden = true; }

    function run() {
      var query = searchable(input.value);
      var mine = ++seq;
      if (!query) {
        close();
        status.textContent = "";
        return;
      }
      engine().then(function (eng) {
        return eng.search(query, {}, "", false);
      }).then(function (result) {
        return loadHits(result.hits.slice(0, POPUP_SIZE)).then(function (hits) {
          if (mine !== seq) return;
          var terms = queryTerms(query);
          list.replaceChildren.apply(list, hits.map(function (hit) {
            return renderHit(hit, terms, true);
          }));
          all.textContent = result.total ? "All " + plural(result.total) + " →" : "Search page →";
          all.href = base + "search/?q=" + encodeURIComponent(input.value.trim());
          status.textContent = result.total
            ? plural(result.total) + ". Press ↓ to browse them."
            : "No results for " + query + ".";
          popup.hidden = false;
        });
      }).catch(function () {
        if (mine === seq) failed(status);
      });
    }

    input.addEventListener("focus", function () {
      engine().catch(function () { failed(status); });
      if (input.value.trim() && list.children.length) popup.hidden = false;
    });
    input.addEventListener("input", debounce(run, DEBOUNCE_MS));
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && !popup.hidden) {
        if (focusFirstResult(popup)) event.preventDefault();
      } else if (event.key === "Escape") {
        event.preventDefault();
        if (!popup.hidden) close();
        else input.value = "";
      }
    });
    arrowKeys(popup, input, function () {
      close();
      input.focus();
    });
    form.addEventListener("focusout", function (event) {
      if (!form.contains(event.relatedTarget)) close();
    });
    return input;
  }

  // ---------------------------------------------------------------- search page

  function emptyFilters() {
    var filters = {};
    FACETS.forEach(function (facet) { filters[facet[0]] = []; });
    return filters;
  }

  function stateFromURL() {
    var params = new URLSearchParams(location.search);
    var filters = emptyFilters();
    FACETS.forEach(function (facet) { filters[facet[0]] = params.getAll(facet[0]); });
    return { q: params.get("q") || "", filters: filters, sort: params.get("sort") === "date" ? "date" : "" };
  }

  function urlOf(state) {
    var params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    FACETS.forEach(function (facet) {
      state.filters[facet[0]].forEach(function (value) { params.append(facet[0], value); });
    });
    if (state.sort) params.set("sort", state.sort);
    var query = params.toString();
    return location.pathname + (query ? "?" + query : "");
  }

  function activeFilters(state) {
    var filters = {};
    FACETS.forEach(function (facet) {
      if (state.filters[facet[0]].length) filters[facet[0]] = state.filters[facet[0]].slice();
    });
    return filters;
  }

  function searchPage(form) {
    var input = form.querySelector("input[name=q]");
    var sort = form.querySelector("select[name=sort]");
    var status = document.querySelector("[data-search-status]");
    var list = document.querySelector("[data-search-results]");
    var more = document.querySelector("[data-search-more]");
    var facets = document.querySelector("[data-search-facets]");
    var state = stateFromURL();
    var seq = 0;
    var pending = [];
    var terms = [];

    form.querySelector("[data-search-nojs]").hidden = true;
    form.querySelector("[data-search-controls]").hidden = false;
    engine().catch(function () { failed(status); });

    function save(push) {
      var url = urlOf(state);
      if (url === location.pathname + location.search) return;
      if (push) history.pushState(null, "", url);
      else history.replaceState(null, "", url);
    }

    function showControls() {
      input.value = state.q;
      sort.value = state.sort;
    }

    function renderFacets(counts) {
      var groups = FACETS.map(function (facet) {
        var key = facet[0];
        var chosen = state.filters[key];
        var values = Object.keys(counts[key] || {}).filter(function (value) {
          return counts[key][value] > 0 || chosen.indexOf(value) !== -1;
        });
        values.sort(function (a, b) {
          if (key === "year") return b.localeCompare(a);
          return (counts[key][b] || 0) - (counts[key][a] || 0) || a.localeCompare(b);
        });
        var shown = values.slice(0, FACET_VALUES);
        chosen.forEach(function (value) {
          if (shown.indexOf(value) === -1) shown.push(value);
        });
        if (!shown.length) return null;
        var group = el("fieldset", "search-facet");
        group.appendChild(el("legend", "", facet[1]));
        var options = el("ul");
        shown.forEach(function (value) {
          var button = el("button", "facet-value", value);
          button.type = "button";
          button.dataset.facet = key;
          button.dataset.value = value;
          button.setAttribute("aria-pressed", String(chosen.indexOf(value) !== -1));
          button.appendChild(el("span", "count", String(counts[key][value] || 0)));
          var entry = el("li");
          entry.appendChild(button);
          options.appendChild(entry);
        });
        group.appendChild(options);
        return group;
      }).filter(Boolean);
      facets.replaceChildren.apply(facets, groups);
      facets.hidden = !groups.length;
    }

    function showMore() {
      var next = pending.splice(0, PAGE_SIZE);
      var mine = seq;
      return loadHits(next).then(function (hits) {
        if (mine !== seq) return;
        hits.forEach(function (hit) { list.appendChild(renderHit(hit, terms, false)); });
        more.hidden = pending.length === 0;
      });
    }

    function run() {
      var mine = ++seq;
      var query = searchable(state.q);
      if (!query) {
        // No filter-only searches: they load the whole Pagefind index. Topics have tag pages.
        list.replaceChildren();
        facets.replaceChildren();
        facets.hidden = true;
        more.hidden = true;
        status.textContent = state.q.trim()
          ? "Type at least two characters."
          : "Type a word to search. Topics also have their own pages in the tag index.";
        return Promise.resolve();
      }
      if (!enginePromise) status.textContent = "Loading search…";
      list.setAttribute("aria-busy", "true");
      var filters = activeFilters(state);
      var eng = null;
      return engine().then(function (loaded) {
        eng = loaded;
        return eng.search(query, filters, state.sort, false);
      }).then(function (result) {
        if (mine !== seq) return;
        terms = queryTerms(query);
        pending = result.hits.slice();
        var next = pending.splice(0, PAGE_SIZE);
        return loadHits(next).then(function (hits) {
          if (mine !== seq) return;
          list.replaceChildren.apply(list, hits.map(function (hit) {
            return renderHit(hit, terms, false);
          }));
          more.hidden = pending.length === 0;
          list.setAttribute("aria-busy", "false");
          status.textContent = result.total
            ? plural(result.total) + " for " + query + "."
            : "No results for " + query + ".";
          if (!result.total || hasCounts(result.facets)) return renderFacets(result.facets);
          // Facet counts cost Pagefind its filter index: fetch it after the results show.
          return eng.search(query, filters, state.sort, true).then(function (counted) {
            if (mine === seq) renderFacets(counted.facets);
          });
        });
      }).catch(function () {
        if (mine !== seq) return;
        list.setAttribute("aria-busy", "false");
        failed(status);
      });
    }

    input.addEventListener("input", debounce(function () {
      state.q = input.value;
      save(false);
      run();
    }, DEBOUNCE_MS));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      state.q = input.value;
      save(true);
      run();
    });
    sort.addEventListener("change", function () {
      state.sort = sort.value;
      save(true);
      run();
    });
    facets.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-facet]");
      if (!button) return;
      var chosen = state.filters[button.dataset.facet];
      var at = chosen.indexOf(button.dataset.value);
      if (at === -1) chosen.push(button.dataset.value);
      else chosen.splice(at, 1);
      var key = button.dataset.facet;
      var value = button.dataset.value;
      save(true);
      run().then(function () {
        // Keep the keyboard where it was, on the re-rendered button.
        var again = Array.prototype.find.call(facets.querySelectorAll("button"), function (b) {
          return b.dataset.facet === key && b.dataset.value === value;
        });
        if (again) again.focus();
      });
    });
    more.addEventListener("click", showMore);
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        if (focusFirstResult(list)) event.preventDefault();
      } else if (event.key === "Escape" && input.value) {
        event.preventDefault();
        input.value = "";
        state.q = "";
        save(false);
        run();
      }
    });
    arrowKeys(list, input, function () { input.focus(); });
    window.addEventListener("popstate", function () {
      state = stateFromURL();
      showControls();
      run();
    });

    showControls();
    run();
    return input;
  }

  // ---------------------------------------------------------------- start

  var page = document.querySelector("form[data-search-page]");
  var header = document.querySelector("form.site-search");
  var box = page ? searchPage(page) : null;
  var headerInput = header ? headerBox(header) : null;
  var primary = box || headerInput;

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || !primary) return;
    var target = event.target;
    if (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    event.preventDefault();
    primary.focus();
    primary.select();
  });
})();
