// Search the archive in the browser: a box in the header of every page, and the
// search page /search/ with facets, sorting and the query in the URL.
//
// Three engines sit behind one small adapter, chosen by data-search-engine:
//   load() -> { search(query, filters, sort, wantFacets) -> { total, facets, hits },
//               preload(query) (not lunr), vocabulary(), short, local, folds }
// where facets is { tag|standard|section|year: { value: count } } (counted only
// when wantFacets is set, which loads the facet files) and each hit is a
// function that resolves to { url, title, date, issue, section, tags, summary,
// text }. "gazette" (the default, Gazette's own index) and "pagefind" fetch
// only the index chunks a query needs; "lunr" fetches one prebuilt index. None
// loads until the box is focused or the search page opens.
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
      // The same tag until the index changes: Pagefind's entry files become cacheable.
      var options = loaded[1].tag ? { baseUrl: base, metaCacheTag: loaded[1].tag } : { baseUrl: base };
      return pagefind.options(options).then(function () {
        return Promise.all(bundles.map(function (path) {
          return pagefind.mergeIndex(root + path, options);
        }));
      }).then(function () {
        var vocabularyPromise = null;
        return {
          local: false,
          short: shortWords(loaded[1].short || []),
          // The index chunks a query will need, fetched while the debounce waits.
          preload: function (query) {
            pagefind.preload(query).catch(function () {});
          },
          // Every bundle's words with their counts, for "did you mean" (fetched on a miss).
          vocabulary: function () {
            if (!vocabularyPromise) {
              vocabularyPromise = Promise.all([""].concat(bundles).map(function (path) {
                return getJSON(root + path + (path && !/\/$/.test(path) ? "/" : "") +
                  "gazette-words.json").catch(function () { return {}; });
              })).then(mergeVocabularies);
            }
            return vocabularyPromise;
          },
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
                  var load = function () {
                    return remembered(result.id, function () { return result.data().then(fromPagefind); });
                  };
                  load.key = result.id;
                  return load;
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
      searchable: (meta.title || "") + " " + data.content,
      text: data.content.split(" ").slice(0, words).join(" "),
    };
  }

  // Pagefind's records, each fetched, tokenised and made into a word set once per
  // page: the next keystroke checks many of the same candidates. Each search gets
  // its own copy (it marks partial matches). The oldest go past RECORDS_KEPT.
  var RECORDS_KEPT = 300;
  var records = new Map();
  function remembered(key, load) {
    var known = records.get(key);
    if (!known) {
      known = load().then(function (hit) {
        tokenised(hit);
        return hit;
      });
      known.catch(function () { records.delete(key); });
      records.set(key, known);
      if (records.size > RECORDS_KEPT) records.delete(records.keys().next().value);
    }
    return known.then(function (hit) { return Object.assign({}, hit); });
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
      var vocabulary = null;
      return {
        local: true,
        // lunr's own tokens: its pipeline has already left out the stop words.
        short: shortWords(Object.keys(index.invertedIndex).filter(function (token) {
          return token.length === 2 && /^\d?[a-z][a-z0-9]?$/.test(token);
        })),
        vocabulary: function () {
          if (!vocabulary) {
            var counts = {};
            docs.forEach(function (doc) {
              searchableOf(doc).toLowerCase().split(/[^\p{L}\p{N}]+/u).forEach(function (w) {
                if (w.length > 3) counts[w] = (counts[w] || 0) + 1;
              });
            });
            vocabulary = mergeVocabularies([counts]);
          }
          return Promise.resolve(vocabulary);
        },
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
          // lunr's ranking first, then every other record: the exact check below
          // decides, so a spelling lunr's stemmer misses is still found.
          var seen = {};
          found.forEach(function (doc) { seen[doc.url] = true; });
          found = found.concat(docs.filter(function (doc) { return !seen[doc.url]; }));
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

  // Gazette's own index (plugins/_search_postings.py explains the files): a
  // manifest, then only the chunks of terms a query needs, and one small file
  // per result checked. Its terms are this file's `words`, so it folds spellings
  // itself (``folds``: no other spellings to search) and knows which records
  // hold every word before any is fetched: those come first, best first.
  var PARTIAL_MAX = 10;
  function gazetteEngine() {
    var root = base + "search/gazette/";
    return fetch(root + "index.json", { cache: "no-cache" }).then(function (response) {
      if (!response.ok) throw new Error(root + "index.json: " + response.status);
      return response.json();
    }).then(function (manifest) {
      if (manifest.v !== 1) throw new Error("search index format " + manifest.v + " is unknown");
      var keys = Object.keys(manifest.chunks);
      var files = new Map();
      var decoded = new Map();
      var vocabularyPromise = null;
      function file(path) {
        var known = files.get(path);
        if (!known) {
          known = getJSON(root + path);
          files.set(path, known);
          known.catch(function () { files.delete(path); });
        }
        return known;
      }
      // The chunk of a term: the longest key that begins it.
      function keyOf(term) {
        for (var n = term.length; n >= 0; n--) {
          if (Object.prototype.hasOwnProperty.call(manifest.chunks, term.slice(0, n))) {
            return term.slice(0, n);
          }
        }
        return null;
      }
      function chunkPath(key) { return "t/" + manifest.chunks[key] + ".json"; }
      // What a query needs: its words, pairs of them written solid, and (for a
      // last word being typed) every chunk under its prefix.
      function plan(query) {
        var parsed = parseQuery(query);
        var needed = [];
        parsed.parts.forEach(function (run, n) {
          needed = needed.concat(run);
          var next = parsed.parts[n + 1];
          if (run.length === 2) needed.push(run[0] + run[1]);
          if (run.length === 1 && next && next.length === 1) needed.push(run[0] + next[0]);
        });
        // The UI searches a last word of two letters only when it is a word of
        // the archive or the reader asked (Enter): then it is a prefix too.
        var prefix = parsed.typing.length >= MIN_CHARS ? parsed.typing : "";
        var wanted = {};
        needed.forEach(function (term) { var key = keyOf(term); if (key !== null) wanted[key] = true; });
        var under = {};
        if (prefix) {
          var own = keyOf(prefix);
          if (own !== null) under[own] = true;
          keys.forEach(function (key) { if (key.indexOf(prefix) === 0) under[key] = true; });
        }
        return { parsed: parsed, prefix: prefix, keys: Object.keys(wanted), under: Object.keys(under) };
      }
      function fetched(keysWanted) {
        return Promise.all(keysWanted.map(function (key) {
          return file(chunkPath(key)).then(function (chunk) { return [key, chunk]; });
        }));
      }
      function expand(list) {
        var out = new Array(list ? list.length : 0), at = 0;
        for (var n = 0; n < out.length; n++) { at += list[n]; out[n] = at; }
        return out;
      }
      function postings(term, chunks) {
        if (decoded.has(term)) return decoded.get(term);
        var chunk = chunks[keyOf(term)];
        if (!chunk) return null;  // not fetched: not known yet, so not remembered
        var entry = chunk && Object.prototype.hasOwnProperty.call(chunk, term) ? chunk[term] : null;
        var found = entry ? {
          ids: expand(entry[0]), title: new Set(expand(entry[1])),
          meta: new Set(expand(entry[2])), often: new Set(expand(entry[3])),
          much: new Set(expand(entry[4])),
        } : null;
        decoded.set(term, found);
        return found;
      }
      function idsOf(list) { return list ? list.ids : []; }
      function intersect(lists) {
        if (!lists.length) return [];
        var sets = lists.slice(1).map(function (ids) { return new Set(ids); });
        return lists[0].filter(function (id) {
          return sets.every(function (set) { return set.has(id); });
        });
      }
      // {value: Set of ids} of one facet, fetched once.
      function facet(key) {
        return file("f/" + manifest.facets[key] + ".json").then(function (values) {
          var out = {};
          Object.keys(values).forEach(function (value) { out[value] = expand(values[value]); });
          return out;
        });
      }
      function allowed(filters) {
        var keysUsed = Object.keys(filters).filter(function (key) {
          return filters[key].length && manifest.facets[key];
        });
        if (!keysUsed.length) return Promise.resolve(null);
        return Promise.all(keysUsed.map(facet)).then(function (loaded) {
          var lists = [];
          keysUsed.forEach(function (key, n) {
            filters[key].forEach(function (value) { lists.push(loaded[n][value] || []); });
          });
          return new Set(intersect(lists));
        });
      }
      function facetCounts(ids) {
        var among = new Set(ids);
        return Promise.all(FACETS.map(function (f) { return facet(f[0]); })).then(function (all) {
          var counts = {};
          FACETS.forEach(function (f, n) {
            counts[f[0]] = {};
            Object.keys(all[n]).forEach(function (value) {
              var count = all[n][value].filter(function (id) { return among.has(id); }).length;
              if (count) counts[f[0]][value] = count;
            });
          });
          return counts;
        });
      }
      function loader(id) {
        var load = function () {
          return remembered("gazette:" + id, function () {
            var folder = manifest.blocks[Math.floor(id / manifest.block)];
            return getJSON(root + "d/" + folder + "/" + id + ".json").then(fromLunr);
          });
        };
        load.key = id;
        return load;
      }
      // Which parts of the query each record holds (a bit per part) and how well:
      // as search.js's `weight`, title 8, tags or summary 3, text 1, and a half
      // more where the record holds the word three times or more, another half
      // at eight times.
      function score(planned, chunks) {
        var parts = planned.parsed.parts;
        var found = new Map();
        function mark(ids, bits, weightOf) {
          ids.forEach(function (id) {
            var at = found.get(id);
            if (!at) { at = { bits: 0, score: 0 }; found.set(id, at); }
            if ((at.bits & bits) === bits) return;
            at.bits |= bits;
            at.score += weightOf(id);
          });
        }
        function weigh(list) {
          return function (id) {
            return (list.title.has(id) ? 8 : list.meta.has(id) ? 3 : 1) +
              (list.often.has(id) ? 0.5 : 0) + (list.much.has(id) ? 0.5 : 0);
          };
        }
        var one = function () { return 1; };
        parts.forEach(function (run, n) {
          var bit = 1 << Math.min(n, 30);
          var first = postings(run[0], chunks);
          if (run.length === 1) {
            if (first) mark(first.ids, bit, weigh(first));
            else {
              splits(run[0]).forEach(function (pair) {
                var left = postings(pair[0], chunks), right = postings(pair[1], chunks);
                if (left && right) mark(intersect([left.ids, right.ids]), bit, one);
              });
            }
            if (!first && planned.prefix && run[0] === planned.prefix) {
              Object.keys(chunks).forEach(function (key) {
                Object.keys(chunks[key]).forEach(function (term) {
                  if (term.indexOf(planned.prefix) !== 0) return;
                  var list = postings(term, chunks);
                  mark(list.ids, bit, weigh(list));
                });
              });
            }
            var next = parts[n + 1];
            if (next && next.length === 1) {
              mark(idsOf(postings(run[0] + next[0], chunks)), bit | (bit << 1), one);
            }
            return;
          }
          var lists = run.map(function (term) { return idsOf(postings(term, chunks)); });
          mark(intersect(lists), bit, first ? weigh(first) : one);
          if (run.length === 2) mark(idsOf(postings(run[0] + run[1], chunks)), bit, one);
        });
        return found;
      }
      // A word the index lacks may be two of its words written solid
      // ("smartcity", "datacenter"): the chunks of every way to cut it in two.
      function splits(word) {
        var out = [];
        for (var n = 2; n <= word.length - 2; n++) out.push([word.slice(0, n), word.slice(n)]);
        return out;
      }
      function unknownWords(planned, chunks) {
        var out = [];
        planned.parsed.parts.forEach(function (run) {
          var word = run.length === 1 ? run[0] : "";
          if (word && !postings(word, chunks) && /^\p{L}+$/u.test(word)) out.push(word);
        });
        return out;
      }
      // The second round of chunks: for words the index lacks, their splits, and
      // for a last word being typed that no record holds whole, its prefix.
      function moreKeys(planned, chunks) {
        var wanted = {};
        var typing = planned.prefix;
        var waiting = false;  // for the prefix's chunks before cutting the word in two
        if (typing && !postings(typing, chunks)) {
          planned.under.forEach(function (key) { if (!chunks[key]) wanted[key] = waiting = true; });
        }
        unknownWords(planned, chunks).forEach(function (word) {
          if (word === typing && (waiting || prefixed(typing, chunks))) return;
          splits(word).forEach(function (pair) {
            pair.forEach(function (term) {
              var key = keyOf(term);
              if (key !== null && !chunks[key]) wanted[key] = true;
            });
          });
        });
        return Object.keys(wanted);
      }
      function prefixed(prefix, chunks) {
        return Object.keys(chunks).some(function (key) {
          return Object.keys(chunks[key]).some(function (term) { return term.indexOf(prefix) === 0; });
        });
      }
      function bitCount(bits) {
        var count = 0;
        for (; bits; bits &= bits - 1) count++;
        return count;
      }
      return {
        local: false,
        folds: true,
        short: shortWords(manifest.short || []),
        // While the reader types: the chunks of the words and of the prefix.
        preload: function (query) {
          var planned = plan(query);
          fetched(planned.keys.concat(planned.under)).catch(function () {});
        },
        vocabulary: function () {
          if (!vocabularyPromise) {
            vocabularyPromise = file("w/" + manifest.words + ".json").then(function (counts) {
              return mergeVocabularies([counts]);
            });
          }
          return vocabularyPromise;
        },
        search: function (query, filters, sort, wantFacets) {
          var planned = plan(query);
          return Promise.all([fetched(planned.keys), allowed(filters)]).then(function (done) {
            var chunks = {};
            done[0].forEach(function (pair) { chunks[pair[0]] = pair[1]; });
            function round() {
              var keysNow = moreKeys(planned, chunks);
              if (!keysNow.length) return [chunks, done[1]];
              return fetched(keysNow).then(function (more) {
                more.forEach(function (pair) { chunks[pair[0]] = pair[1]; });
                return round();
              });
            }
            return round();
          }).then(function (done) {
            var found = score(planned, done[0]);
            var full = planned.parsed.parts.length >= 31 ? -1 >>> 1 :
              (1 << planned.parsed.parts.length) - 1;
            var exact = [], partial = [];
            found.forEach(function (at, id) {
              if (done[1] && !done[1].has(id)) return;
              ((at.bits & full) === full ? exact : partial).push(id);
            });
            var byScore = function (a, b) {
              return found.get(b).score - found.get(a).score || b - a;
            };
            exact.sort(sort === "date" ? function (a, b) { return b - a; } : byScore);
            partial.sort(function (a, b) {
              return bitCount(found.get(b).bits) - bitCount(found.get(a).bits) || byScore(a, b);
            });
            var ids = exact.concat(partial.slice(0, PARTIAL_MAX));
            return (wantFacets ? facetCounts(exact) : Promise.resolve({})).then(function (facets) {
              return { total: exact.length, facets: facets, hits: ids.map(loader) };
            });
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

  function searchableOf(doc) {
    return [doc.title, doc.summary, doc.tags.join(" "), doc.extra || "", doc.text].join(" ");
  }

  function mergeVocabularies(parts) {
    var merged = {};
    parts.forEach(function (counts) {
      Object.keys(counts).forEach(function (word) {
        var folded = fold(word);
        merged[folded] = (merged[folded] || 0) + counts[word];
      });
    });
    return merged;
  }

  function fromLunr(doc) {
    return {
      searchable: searchableOf(doc),
      standards: doc.standards || [],
      url: base + doc.url.replace(/^\//, ""),
      title: doc.title,
      date: doc.date,
      issue: doc.issue,
      section: doc.section,
      tags: doc.tags,
      summary: doc.summary,
      text: doc.text,
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
      var make = { lunr: lunrEngine, gazette: gazetteEngine }[engineName] || pagefindEngine;
      enginePromise = make();
      enginePromise.catch(function () { enginePromise = null; });
    }
    return enginePromise;
  }

  // At each keystroke, not after the debounce: fetch the index chunks that the
  // search of what is typed will need (Pagefind), so that the search finds them in
  // hand. Not for a last word under three letters: its chunks are the big ones
  // (24-212 KB at 10,000 items), which a reader typing on would not need.
  var PRELOAD_FROM = 3;
  function preload(typed) {
    var query = searchable(typed);
    if (!query || engineName === "lunr" || query.split(" ").pop().length < PRELOAD_FROM) return;
    engine().then(function (eng) {
      searchForms(eng, query).forEach(function (form) { eng.preload(form); });
    }).catch(function () {});
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
  // Given the engine's `short` words, a two-letter last word waits too (see below).
  function searchable(typed, short) {
    var words = normalised(typed).trim().split(/\s+/);
    var last = words[words.length - 1];
    if (words.length > 1 && (last.length < MIN_CHARS || unfinished(last, short))) words.pop();
    var query = words.join(" ");
    if (query.length < MIN_CHARS || (words.length === 1 && unfinished(words[0], short))) return "";
    return query;
  }

  // While a reader types, a last word of two letters or digits ("me", "ba") is the
  // start of a longer word far more often than a word. Searched as a prefix it
  // matches most of a large archive (8,000 of 10,000 items, 60-400 ms of Pagefind's
  // time) and shows nothing useful, so it waits for a third letter, unless it is a
  // word of the archive by itself ("AI", "5G": the engine's `short` words, stop
  // words left out) or the reader asked for it (Enter, or a link to ?q=me). Two
  // characters of another script (two Chinese characters are a word) never wait.
  var PREFIX_FROM = 3;
  function unfinished(word, short) {
    return !!short && word.length < PREFIX_FROM && /^[a-z0-9]+$/i.test(word) &&
      !short[word.toLowerCase()];
  }
  function shortWords(words) {
    var known = {};
    words.forEach(function (word) { if (!STOP[word]) known[word] = true; });
    return known;
  }
  var WAIT_HINT = "Type a third letter: two begin too many words.";
  var WAIT_HINT_PAGE = "Type a third letter: two begin too many words, or press Enter to " +
    "search for “%s”.";

  // One spelling for things written several ways: "A.I." is "AI", and a Chinese
  // standard's prefix without its slash, "GBT 4754" or "ydt1234", is "GB/T 4754"
  // (the prefixes of gazette/content/identifiers.py's SECTORS; a test keeps the
  // two lists equal).
  var CN_PREFIXES = "GB AQ BB CB CH CJ CY DA DL DZ EJ FZ GA GH GM GY HB HG HJ HS HY JB JC " +
    "JG JR JT JY LB LD LS LY MH MT MZ NB NY QB QC QJ SB SC SH SJ SL SN SY TB TD TY WB WH " +
    "WJ WM WS WW XB YB YC YD YS YY YZ";
  var SLASHLESS = new RegExp("(^|[\\s\"(])(" + CN_PREFIXES.split(" ").join("|") +
    ")([TZ])(?=\\s?\\d)", "gi");
  function normalised(query) {
    return query
      .replace(/(^|[\s"(])((?:\p{L}\.){2,})(?=[\s")]|$)/gu, function (_, lead, dotted) {
        return lead + dotted.replace(/\./g, "");
      })
      .replace(SLASHLESS, "$1$2/$3");
  }

  // ---------------------------------------------------------------- what matches

  // Engines find candidates (Pagefind stems words and, for a word it does not
  // know, substitutes the longest indexed prefix: "carbon" finds "car"); a
  // result is an *exact* match only when every word of the query is one of its
  // words, after the same folding on both sides: case, accents, British and
  // American spellings (-isation/-ization, -our/-or, -tre/-ter ...), a plural
  // "s", and letters glued to digits ("TC260" is "TC 260"). Common words are
  // neither required nor highlighted. "Quoted words" must appear in that order.
  // The last word, while it is typed, also matches as a prefix when no result
  // holds it whole. The others are partial matches, listed after the exact ones.
  var STOP = {};
  ("a an and are as at be by for from has have in into is it its of on or that the their " +
    "this to was were which with").split(" ").forEach(function (w) { STOP[w] = true; });
  // Applied after the plural "s" is gone, so each rule has one form.
  var VARIANTS = [
    [/isation/, "ization"], [/ise([d]?)$/, "ize$1"], [/ising$/, "izing"],
    [/yse([d]?)$/, "yze$1"], [/our$/, "or"], [/tre$/, "ter"], [/ogue$/, "og"],
    [/ence$/, "ense"], [/programme/, "program"], [/lled$/, "led"], [/lling$/, "ling"],
  ];

  // Each word is folded once per page: a record has hundreds and most recur.
  var FOLDED_KEPT = 50000;
  var folded = new Map();
  function fold(word) {
    var known = folded.get(word);
    if (known !== undefined) return known;
    var w = word.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
    if (w.length > 3 && /ies$/.test(w)) w = w.slice(0, -3) + "y";
    else if (w.length > 3 && /[^s]s$/.test(w) && !/(us|is)$/.test(w)) w = w.slice(0, -1);
    if (w.length > 4 && /[a-z]$/.test(w)) {
      VARIANTS.forEach(function (rule) { w = w.replace(rule[0], rule[1]); });
    }
    if (folded.size >= FOLDED_KEPT) folded.clear();
    folded.set(word, w);
    return w;
  }

  // The words of a text, folded, in order ("GB/T 4754-2017" -> gb t 4754 2017).
  function words(text) {
    return (text || "").replace(/(\p{L})(\p{N})/gu, "$1 $2").toLowerCase()
      .split(/[^\p{L}\p{N}]+/u).filter(Boolean).map(fold);
  }

  // Tests compare these words with the index's (plugins/_search_postings.py).
  if (window.GAZETTE_SEARCH) window.GAZETTE_SEARCH.words = words;

  // {all: [[folded words of a phrase or a word]...], typing: the last word (raw) or ""}
  // Identifiers stay whole: a token with a separator inside (GB/T, 4754-2017,
  // Y.4464, ISO/IEC) or letters glued to digits (TC260), with the tokens that
  // continue it (a code, or a number: "SAC/TC 260"), must appear as one run.
  function isCode(token) {
    return /[\p{L}\p{N}][\/\-.:][\p{L}\p{N}]/u.test(token) || /\p{L}\p{N}/u.test(token);
  }

  function parseQuery(query) {
    var parts = [];
    // Typographic quotes (copied from a page, or typed by a phone) quote too.
    query = query.replace(/[\u201c\u201d\u201e]/g, '"');
    var rest = query.replace(/"([^"]*)"/g, function (_, phrase) {
      var found = words(phrase);
      if (found.length) parts.push(found);
      return " ";
    });
    var tokens = rest.trim() ? rest.trim().split(/\s+/) : [];
    var loose = [];
    var code = null;
    tokens.forEach(function (token) {
      if (isCode(token) || (code && /^\p{N}+([\-.:]\p{N}+)*$/u.test(token))) {
        if (code) code.push(token);
        else code = [token];
        return;
      }
      if (code) parts.push(words(code.join(" ")));
      code = null;
      words(token).forEach(function (w) { if (!STOP[w]) loose.push(w); });
    });
    if (code) parts.push(words(code.join(" ")));
    loose.forEach(function (w) { parts.push([w]); });
    parts = parts.filter(function (run) { return run.length; });
    if (!parts.length) words(rest).forEach(function (w) { parts.push([w]); });
    var last = tokens.length ? tokens[tokens.length - 1] : "";
    var open = !/["\s]$/.test(query) && last && !isCode(last) && loose.length ? last : "";
    return { parts: parts, typing: open ? fold(words(open).pop() || "") : "" };
  }


  function hasRun(list, run, from) {
    for (var at = from || 0; at + run.length <= list.length; at++) {
      var all = true;
      for (var k = 0; k < run.length && all; k++) all = list[at + k] === run[k];
      if (all) return true;
    }
    return false;
  }

  // The words of a record as a set, with each two neighbouring words also written
  // solid ("e commerce", from "e-commerce", is "ecommerce").
  function wordSet(have) {
    var set = {};
    have.forEach(function (w, n) {
      set[w] = true;
      if (n) set[have[n - 1] + w] = true;
    });
    return set;
  }

  // "exact", "partial" or "" for a record whose words are ``have`` (``set``: its
  // wordSet). Compound words match whichever way they are written: the set holds
  // neighbouring words written solid, and two neighbouring query words, or a
  // hyphenated pair, match a record that writes them solid ("cyber security" and
  // "cyber-security" find "cybersecurity").
  function verdict(have, set, parsed, prefix) {
    var found = 0;
    var parts = parsed.parts;
    for (var n = 0; n < parts.length; n++) {
      var run = parts[n];
      var last = run.length === 1 && prefix && run[0] === parsed.typing;
      var ok = run.length === 1 ? set[run[0]] || (last && have.some(function (w) {
        return w.indexOf(run[0]) === 0;
      })) : hasRun(have, run) || (run.length === 2 && set[run[0] + run[1]]);
      var next = parts[n + 1];
      if (!ok && run.length === 1 && next && next.length === 1 && set[run[0] + next[0]]) {
        found += 2;
        n++;
        continue;
      }
      if (ok) found++;
    }
    if (found === parts.length && found) return "exact";
    return found ? "partial" : "";
  }

  // Sorts hits into exact and partial matches; the last word is a prefix only
  // when no hit holds it whole.
  // How well an exact hit matches: each query part found in its title counts 8,
  // in its tags or summary 3, only in its text 1. Ties keep the engine's order.
  function weight(hit, parsed) {
    var fields = [words(hit.title), words(hit.tags.join(" ") + " " + hit.summary)];
    return parsed.parts.reduce(function (sum, run) {
      if (hasRun(fields[0], run)) return sum + 8;
      if (hasRun(fields[1], run)) return sum + 3;
      return sum + 1;
    }, 0);
  }

  // A hit's words and word set, made once and kept on the hit: a progressive
  // check sorts the hits again per batch, and every keystroke checks them again.
  function tokenised(hit) {
    if (!hit.words) {
      hit.words = words(hit.searchable);
      hit.wordSet = wordSet(hit.words);
    }
    return hit.words;
  }

  function sortHits(hits, parsed, sort) {
    var texts = hits.map(tokenised);
    var whole = parsed.typing && texts.some(function (have) {
      return have.indexOf(parsed.typing) !== -1;
    });
    var exact = [], partial = [];
    hits.forEach(function (hit, n) {
      var v = verdict(texts[n], hit.wordSet, parsed, !whole);
      if (v === "exact") exact.push(hit);
      else if (v === "partial") partial.push(hit);
    });
    if (sort !== "date") {
      var scored = exact.map(function (hit, at) { return [weight(hit, parsed), at, hit]; });
      scored.sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; });
      exact = scored.map(function (entry) { return entry[2]; });
    }
    return { exact: exact, partial: partial, prefix: !whole };
  }

  function queryTerms(query) {
    var parsed = parseQuery(query);
    var terms = [];
    parsed.parts.forEach(function (run) { terms = terms.concat(run); });
    return { list: terms, typing: parsed.typing };
  }

  function isHit(word, terms) {
    var folded = words(word);
    return folded.length > 0 && folded.every(function (w) {
      return terms.list.indexOf(w) !== -1 || (terms.typing && w.indexOf(terms.typing) === 0 &&
        terms.typing.length > 2);
    });
  }

  // "Did you mean": for each query word no record holds, the nearest word that
  // some record holds (edit distance at most 2, the commoner first).
  function distance(a, b) {
    if (Math.abs(a.length - b.length) > 2) return 3;
    var prev = [], row = [];
    for (var j = 0; j <= b.length; j++) prev[j] = j;
    for (var i = 1; i <= a.length; i++) {
      row = [i];
      for (var k = 1; k <= b.length; k++) {
        row[k] = Math.min(prev[k] + 1, row[k - 1] + 1, prev[k - 1] + (a[i - 1] === b[k - 1] ? 0 : 1));
      }
      prev = row;
    }
    return prev[b.length];
  }

  function suggest(query, vocabulary) {
    var changed = false;
    var out = query.split(/(\s+)/).map(function (token) {
      var raw = token.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
      var w = raw.toLowerCase();
      if (!w || /\s/.test(token) || w.length < 4 || vocabulary[fold(w)] || STOP[w]) return token;
      var best = "", score = 3, count = 0;
      Object.keys(vocabulary).forEach(function (known) {
        var d = distance(w, known);
        if (d < score || (d === score && vocabulary[known] > count)) {
          best = known; score = d; count = vocabulary[known];
        }
      });
      if (!best || score > 2) return token;
      changed = true;
      return token.replace(raw, best);
    });
    return changed ? out.join("") : "";
  }

  // An excerpt around the first match, with matched words in <mark>. It stays
  // inside the block (heading, paragraph, list item) that holds the match: the
  // record's text marks block boundaries with BLOCK, a word of its own.
  var BLOCK = "\u00b6";
  function excerpt(hit, terms) {
    var node = el("p", "search-excerpt");
    var words = hit.text ? hit.text.split(" ") : [];
    var first = -1;
    var marked = words.map(function (word, at) {
      var found = word !== BLOCK && isHit(word, terms);
      if (found && first === -1) first = at;
      return found;
    });
    var from = Math.max(first, 0);
    var blockStart = from, blockEnd = from;
    while (blockStart > 0 && words[blockStart - 1] !== BLOCK) blockStart--;
    while (blockEnd < words.length && words[blockEnd] !== BLOCK) blockEnd++;
    if (first === -1) {
      node.textContent = hit.summary || words.slice(0, Math.min(blockEnd, EXCERPT_WORDS)).join(" ");
      return node;
    }
    var start = Math.max(blockStart, first - 8);
    var end = Math.min(blockEnd, start + EXCERPT_WORDS);
    var plain = start > blockStart ? ["…"] : [];
    for (var at = start; at < end; at++) {
      if (marked[at]) {
        node.appendChild(document.createTextNode(plain.join(" ") + (plain.length ? " " : "")));
        node.appendChild(el("mark", "", words[at]));
        plain = [""];
      } else {
        plain.push(words[at]);
      }
    }
    if (end < blockEnd) plain.push("…");
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

  // Runs a query and checks its candidates (see "what matches"); the details are
  // at ``matched``. Returns { total, exact, partial, complete, facets, more }.
  // The query in its other spellings, for an engine that stems them apart
  // (Pagefind: "licenses" and "licences"): its candidates are the union.
  var OTHER_SPELLINGS = [
    [/ization/g, "isation"], [/isation/g, "ization"], [/ize(s|d)?\b/g, "ise$1"],
    [/ise(s|d)?\b/g, "ize$1"], [/ense(s)?\b/g, "ence$1"], [/ence(s)?\b/g, "ense$1"],
    [/(\w{3})or(s)?\b/g, "$1our$2"], [/our(s)?\b/g, "or$1"], [/(\w{2})ter(s)?\b/g, "$1tre$2"],
    [/tre(s)?\b/g, "ter$1"],
  ];
  function spellings(query) {
    var forms = [query.replace(/"/g, " ")];
    OTHER_SPELLINGS.forEach(function (rule) {
      var other = forms[0].toLowerCase().replace(rule[0], rule[1]);
      if (forms.indexOf(other) === -1 && other !== forms[0].toLowerCase()) forms.push(other);
    });
    // Two words that may be one: "cyber security" and "cyber-security" also as
    // "cybersecurity".
    var plain = forms[0].trim().split(/[\s\-]+/);
    if (plain.length === 2 && /^\p{L}+$/u.test(plain[0] + plain[1])) {
      forms.push(plain.join("").toLowerCase());
    }
    return forms;
  }

  // The forms of a query to send an engine: the query itself to one that has
  // every record in hand (lunr) or folds spellings as search.js does (gazette),
  // its other spellings too to one that stems them apart (Pagefind).
  function searchForms(eng, query) {
    return eng.local || eng.folds ? [query.replace(/"/g, " ")] : spellings(query);
  }

  function candidates(eng, query, filters, sort) {
    return Promise.all(searchForms(eng, query).map(function (form) {
      return eng.search(form, filters, sort, false);
    })).then(function (results) {
      var seen = {}, hits = [];
      results.forEach(function (result) {
        result.hits.forEach(function (load) {
          if (load.key !== undefined && seen[load.key]) return;
          if (load.key !== undefined) seen[load.key] = true;
          hits.push(load);
        });
      });
      return { hits: hits };
    });
  }

  // Checks candidates until ``want`` exact hits are found. Fewer candidates than
  // CHECK_ALL_UNDER (or lunr, whose records are in memory) are all checked, so
  // counts and facets are exact; otherwise Pagefind's records are fetched
  // CHECK_BATCH at a time, ``more(n)`` checks on, and counts say "or more".
  // Once ``stale()`` (a newer search has started) it fetches no more and fails with STALE.
  var CHECK_BATCH = 10;
  var CHECK_ALL_UNDER = (window.GAZETTE_SEARCH || {}).checkAllUnder || 80;  // tests lower it
  var STALE = new Error("superseded by a newer search");
  function matched(eng, query, filters, sort, want, stale) {
    var parsed = parseQuery(query);
    return candidates(eng, query, filters, sort).then(function (result) {
      var loaders = result.hits;
      var all = eng.local || loaders.length <= CHECK_ALL_UNDER;
      var loaded = [];
      function check(need) {
        if (stale && stale()) return Promise.reject(STALE);
        var sorted = sortHits(loaded, parsed, sort);
        if (loaded.length === loaders.length || (!all && sorted.exact.length >= need)) {
          return Promise.resolve(sorted);
        }
        var upto = all ? loaders.length : Math.min(loaders.length, loaded.length + CHECK_BATCH);
        return loadHits(loaders.slice(loaded.length, upto)).then(function (hits) {
          loaded = loaded.concat(hits);
          return check(need);
        });
      }
      function snapshot(sorted) {
        var complete = loaded.length === loaders.length;
        sorted.partial.forEach(function (hit) { hit.partial = true; });
        return {
          total: sorted.exact.length,
          exact: sorted.exact,
          partial: complete ? sorted.partial : [],
          complete: complete,
          facets: countFacets(sorted.exact),
          prefix: sorted.prefix,
          more: complete ? null : function (n) {
            return check(sorted.exact.length + n).then(snapshot);
          },
        };
      }
      return check(want).then(snapshot);
    });
  }

  function countLabel(result) {
    return plural(result.total) + (result.complete ? "" : " or more");
  }

  // "Did you mean ...?" as a link that searches for it, or null.
  function didYouMean(eng, query, onPick) {
    return eng.vocabulary().then(function (vocabulary) {
      var better = suggest(query, vocabulary);
      if (!better) return null;
      var line = el("span", "search-suggestion", " Did you mean ");
      var link = el("a", "", better);
      link.href = base + "search/?q=" + encodeURIComponent(better);
      link.addEventListener("click", function (event) {
        if (onPick) { event.preventDefault(); onPick(better); }
      });
      line.appendChild(link);
      line.appendChild(document.createTextNode("?"));
      return line;
    }).catch(function () { return null; });
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
    popup.setAttribute("role", "dialog");
    popup.setAttribute("aria-label", "Search results");
    var list = el("ol", "search-results compact");
    var all = el("a", "search-link search-all");
    popup.appendChild(list);
    popup.appendChild(all);
    form.appendChild(status);
    form.appendChild(popup);
    input.setAttribute("aria-controls", popup.id);
    var seq = 0;

    // The box is a combobox whose popup is a dialog of links (ARIA 1.2).
    function show(open) {
      popup.hidden = !open;
      input.setAttribute("aria-expanded", String(open));
    }
    function close() { show(false); }

    // Tells tests and benchmarks that a keystroke's search has shown (``detail``:
    // the query searched, "" while two letters wait), even when nothing changed.
    function searched(query) {
      form.dispatchEvent(new CustomEvent("gazette-searched", { detail: { query: query } }));
    }

    // The last query shown, with its result: typing on past a word that waits
    // ("ministry of in") shows it again without searching again.
    var last = null;

    function run() {
      var typed = input.value;
      var mine = ++seq;
      if (!searchable(typed)) {
        close();
        status.textContent = "";
        return;
      }
      var query = "";
      engine().then(function (eng) {
        query = searchable(typed, eng.short);
        if (!query) return null;
        if (last && last.query === query) return last.result;
        return matched(eng, query, {}, "", POPUP_SIZE, function () { return mine !== seq; });
      }).then(function (result) {
        if (mine !== seq) return;
        if (!result) {
          // Said in the popup too, with a way to search for the two letters anyway.
          list.replaceChildren(el("li", "search-separator", WAIT_HINT));
          all.textContent = "Search for “" + typed.trim() + "” →";
          all.href = base + "search/?q=" + encodeURIComponent(typed.trim());
          status.textContent = WAIT_HINT;
          show(true);
          return searched(query);
        }
        last = { query: query, result: result };
        var terms = queryTerms(query);
        var shown = (result.total ? result.exact : result.partial).slice(0, POPUP_SIZE);
        var rows = shown.map(function (hit) { return renderHit(hit, terms, true); });
        if (!result.total && shown.length) {
          rows.unshift(el("li", "search-separator", "No exact match. Partial matches:"));
        }
        list.replaceChildren.apply(list, rows);
        all.textContent = result.total ? "All " + countLabel(result) + " →" : "Search page →";
        all.href = base + "search/?q=" + encodeURIComponent(input.value.trim());
        status.textContent = result.total
          ? countLabel(result) + ". Press ↓ to browse them."
          : "No results for " + query + "." +
            (result.partial.length ? " " + result.partial.length + " partial matches." : "");
        show(true);
        searched(query);
      }).catch(function () {
        if (mine === seq) failed(status);
      });
    }

    input.addEventListener("focus", function () {
      engine().catch(function () { failed(status); });
      if (input.value.trim() && list.children.length) show(true);
    });
    input.addEventListener("input", function () { preload(input.value); });
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
    var toggle = document.querySelector("[data-search-filter-toggle]");
    var state = stateFromURL();
    var seq = 0;
    var pending = [];
    var terms = [];
    var shownPartial = false;
    var current = null;
    var queued = [];

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
      showToggle(groups.length > 0);
    }

    // On a phone the filters fold behind a "Filter" button that counts the chosen ones.
    function showToggle(shown) {
      if (!toggle) return;
      var chosen = Object.keys(state.filters).reduce(function (n, key) {
        return n + state.filters[key].length;
      }, 0);
      toggle.hidden = !shown;
      toggle.textContent = chosen ? "Filter (" + chosen + " chosen)" : "Filter";
    }

    // More checked results when the ones in hand run out (Pagefind, large archives).
    function refill() {
      if (pending.length >= PAGE_SIZE || !current || !current.more) return Promise.resolve();
      var mine = seq;
      return current.more(PAGE_SIZE).then(function (next) {
        if (mine !== seq) return;
        current = next;
        next.exact.concat(next.partial).forEach(function (hit) {
          if (queued.indexOf(hit) !== -1) return;
          queued.push(hit);
          pending.push(function () { return Promise.resolve(hit); });
        });
        status.textContent = status.textContent.replace(/^\d+ results? or more/, countLabel(next));
      }).catch(function (error) {
        if (error !== STALE) throw error;
      });
    }

    function showMore() {
      var mine = seq;
      return refill().then(function () {
        if (mine !== seq) return [];
        return loadHits(pending.splice(0, PAGE_SIZE));
      }).then(function (hits) {
        if (mine !== seq) return;
        hits.forEach(function (hit) {
          if (hit.partial && !shownPartial) {
            shownPartial = true;
            list.appendChild(el("li", "search-separator", "Partial matches: not every word you typed"));
          }
          list.appendChild(renderHit(hit, terms, false));
        });
        more.hidden = pending.length === 0 && !(current && current.more);
      });
    }

    function clear(message) {
      list.replaceChildren();
      list.setAttribute("aria-busy", "false");
      facets.replaceChildren();
      facets.hidden = true;
      showToggle(false);
      more.hidden = true;
      status.textContent = message;
    }

    // ``typing``: run by the debounced input, where a two-letter last word waits
    // for a third (`unfinished`); a query from the address, Enter or a link is
    // searched as it stands.
    function run(typing) {
      var mine = ++seq;
      var query = searchable(state.q);
      if (!query) {
        // No filter-only searches: they load the whole Pagefind index. Topics have tag pages.
        clear(state.q.trim()
          ? "Type at least two characters."
          : "Type a word to search. Topics also have their own pages in the tag index.");
        return Promise.resolve();
      }
      if (!enginePromise) status.textContent = "Loading search…";
      list.setAttribute("aria-busy", "true");
      var filters = activeFilters(state);
      var eng = null;
      return engine().then(function (loaded) {
        eng = loaded;
        if (typing) query = searchable(state.q, eng.short);
        if (!query) return null;
        return matched(eng, query, filters, state.sort, PAGE_SIZE, function () { return mine !== seq; });
      }).then(function (result) {
        if (mine !== seq) return;
        if (!result) {
          var typed = state.q.trim();
          clear(WAIT_HINT_PAGE.replace("%s", function () { return typed; }));
          return;
        }
        terms = queryTerms(query);
        shownPartial = false;
        current = result;
        queued = result.exact.concat(result.partial);
        pending = queued.map(function (hit) {
          return function () { return Promise.resolve(hit); };
        });
        list.replaceChildren();
        return showMore().then(function () {
          if (mine !== seq) return;
          list.setAttribute("aria-busy", "false");
          var count = result.partial.length;
          var partial = count ? " " + count + (count === 1 ? " partial match" : " partial matches") +
            " (not every word) " + (result.total ? "after them." : "below.") : "";
          status.textContent = (result.total ? countLabel(result) + " for " + query + "."
            : "No exact results for " + query + ".") + partial;
          if (result.complete) renderFacets(result.facets);
          else {
            // Not every candidate checked yet: Pagefind's own counts (of its candidates).
            eng.search(query.replace(/"/g, " "), filters, state.sort, true).then(function (counted) {
              if (mine === seq) renderFacets(counted.facets);
            });
          }
          if (result.total) return null;
          return didYouMean(eng, query, function (better) {
            state.q = better;
            showControls();
            save(true);
            run();
          }).then(function (line) {
            if (line && mine === seq) status.appendChild(line);
          });
        });
      }).catch(function () {
        if (mine !== seq) return;
        list.setAttribute("aria-busy", "false");
        failed(status);
      });
    }

    input.addEventListener("input", function () { preload(input.value); });
    input.addEventListener("input", debounce(function () {
      state.q = input.value;
      save(false);
      run(true);
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
    if (toggle) {
      toggle.addEventListener("click", function () {
        var open = toggle.getAttribute("aria-expanded") !== "true";
        toggle.setAttribute("aria-expanded", String(open));
        facets.classList.toggle("open", open);
      });
    }
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
  // Loaded by search-boot.js on the reader's first focus or "/": take the box
  // over as it stands (focused, perhaps with a few letters typed already).
  if (headerInput && document.activeElement === headerInput) {
    headerInput.dispatchEvent(new Event("focus"));
    if (headerInput.value.trim()) headerInput.dispatchEvent(new Event("input"));
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || !primary) return;
    var target = event.target;
    if (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    event.preventDefault();
    primary.focus();
    primary.select();
  });
})();
