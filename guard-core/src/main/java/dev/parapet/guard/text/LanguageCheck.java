package dev.parapet.guard.text;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A light, conservative language check: which language a text is written in, only when that is clear. Pure JDK,
 * no profiles to load, linear in the text (and bounded: at most {@link #SAMPLE_CHARS} are read). Stateless.
 *
 * <p>Two passes. (1) Script: letters are counted per Unicode script; when a non-Latin script outweighs the Latin
 * letters (a Han, Kana or Hangul character counts as three letters, about one English word's worth of
 * letters) the text is in that script's language ({@code zh}, {@code ja}, {@code ko}, {@code ru} for Cyrillic,
 * ...; the most common language of the script). (2) Latin script: function words ("the", "and" / "el", "que" /
 * "der", "und" ...) are counted per language; a language is named only when it has at least two such words,
 * at least a fifth of the words, and more than twice any other language's count. Texts of fewer than three
 * words, code, lists of names and mixed texts with no clear majority are not named. A statistical detector
 * (Optimaize) was considered: it would put Guava 18 and SLF4J 1.7 on every guard-core user's classpath.
 */
final class LanguageCheck {
  /** Longer texts are judged on their first and last halves of this many chars: language is a global property. */
  static final int SAMPLE_CHARS = 4000;

  private static final int MIN_WORDS = 3;

  // Function words that are frequent in the language and rare in English text (English names and words such as
  // "die", "do", "son", "man", "den", "com" are left out on purpose: English must not be named otherwise).
  private static final Map<String, Set<String>> WORDS = words();

  private LanguageCheck() {}

  private static Map<String, Set<String>> words() {
    Map<String, Set<String>> m = new LinkedHashMap<>();
    m.put("en", Set.of("the", "and", "of", "to", "is", "are", "how", "what", "why", "who", "where", "when", "you",
        "it", "for", "with", "that", "this", "can", "my", "be", "at", "from", "your", "was", "were", "have", "has",
        "i", "a", "an", "do", "does", "make", "will", "would", "should", "there", "their", "they", "we", "me",
        "not", "on", "in", "if", "or", "about", "please", "which", "some", "any", "get", "tell", "write", "best"));
    m.put("es", Set.of("el", "los", "las", "del", "que", "por", "para", "con", "una", "cómo", "como", "qué",
        "está", "están", "hacer", "puedo", "pero", "muy", "más", "yo", "sus", "también", "esto", "este", "esta",
        "cuando", "donde", "dónde", "sobre", "entre", "ser", "fue", "en", "un", "es", "mi", "tu", "su", "hago",
        "casa", "cuál", "porque", "todos", "hay", "ella", "nos"));
    m.put("fr", Set.of("le", "les", "des", "du", "une", "est", "et", "pour", "dans", "qui", "que", "pas", "sur",
        "avec", "comment", "faire", "je", "vous", "nous", "elle", "cette", "mais", "où", "très", "sont", "être",
        "chez", "au", "aux", "ne", "suis", "un", "en", "ou", "fabriquer", "maison", "quoi", "pourquoi", "moi",
        "leur", "ils", "peut", "peux", "quel", "quelle", "ça", "c'est", "j'ai"));
    m.put("de", Set.of("der", "das", "und", "ist", "nicht", "ich", "wie", "ein", "eine", "einen", "einer", "mit",
        "zu", "zum", "zur", "von", "auf", "für", "dem", "sich", "auch", "kann", "werden", "wird", "bitte", "mache",
        "machen", "zuhause", "hause", "baue", "bauen", "sind", "oder", "aber", "wenn", "mein", "meine",
        "warum", "wer", "dass", "nur", "noch", "sie", "wir", "du", "dir", "mich", "mir", "gibt", "kein"));
    m.put("pt", Set.of("vc", "pra", "tá", "tô", "ter", "tem", "só", "já", "ainda", "foi", "eles", "minha", "meu", "quem", "esse", "essa", "aqui", "nada", "tudo", "vai", "pq", "ser", "sem", "mesmo", "agora", "bem", "aí", "cara", "vou", "estou", "os", "um", "uma", "que", "não", "é", "da", "dos", "das", "para", "eu", "você", "isso",
        "por", "mais", "muito", "fazer", "posso", "casa", "está", "são", "como", "em", "no", "na", "nos", "ao",
        "também", "ele", "ela", "seu", "sua", "mas", "quando", "onde", "porque", "fabricar", "caseira", "uns"));
    m.put("it", Set.of("di", "non", "ho", "mia", "mio", "sto", "lei", "lui", "loro", "suo", "sua", "dei", "ad", "fa", "sei", "essere", "hanno", "ha", "li", "ne", "nei", "sul", "sulla", "dal", "dalla", "questi", "quello", "quella", "molto", "tutti", "tutto", "voglio", "devo", "dovrei", "farla", "farlo", "il", "lo", "gli", "che", "del", "della", "per", "con", "una", "sono", "come", "fare",
        "posso", "casa", "è", "anche", "questo", "questa", "ma", "più", "perché", "cosa", "dove", "quando", "io",
        "mi", "ti", "si", "ci", "un", "nel", "nella", "degli", "delle", "alla", "fatta", "costruire"));
    m.put("nl", Set.of("het", "een", "van", "ik", "niet", "hoe", "maak", "maken", "thuis", "dat", "wat", "voor",
        "zijn", "bij", "ook", "naar", "en", "je", "jij", "mijn", "waarom", "wie", "dit", "deze", "er", "maar"));
    m.put("id", Set.of("yang", "dan", "ini", "itu", "untuk", "dengan", "tidak", "saya", "bagaimana", "cara",
        "membuat", "apa", "ada", "di", "ke", "dari", "akan", "bisa", "atau", "juga", "sebuah", "rumah"));
    m.put("sw", Set.of("ku", "hiyo", "huyo", "wao", "sisi", "yangu", "wangu", "zangu", "kuwa", "ili", "hata", "sana", "pia", "bila", "ninawezaje", "nifanye", "ninaweza", "wake", "huu", "hizi", "kwenye", "ambao", "ambayo", "kila", "na", "ya", "kwa", "ni", "wa", "jinsi", "kutengeneza", "nini", "katika", "hii", "je",
        "kuna", "kama", "lakini", "mimi", "wewe", "yake", "nyumbani", "gani", "kufanya", "za", "cha"));
    m.put("jv", Set.of("ae", "wae", "ngono", "kok", "opo", "sampeyan", "awakmu", "nek", "lek", "gak", "ono", "iso", "kuwi", "dadi", "seng", "gawe", "mbok", "koyok", "kudu", "arep", "ndek", "wes", "ta", "ya", "ning", "supaya", "yen", "bae", "lho", "tak", "lan", "sing", "iku", "ora", "aku", "kanggo", "carane", "kepiye", "piye", "nggawe",
        "kowe", "omah", "karo", "saka", "ing", "iki", "uga", "wis", "bisa", "apa"));
    return Map.copyOf(m);
  }

  /** The language of {@code text}, or empty when it is not clear. */
  static Optional<String> detect(String text) {
    String s = sample(text);
    Optional<String> byScript = byScript(s);
    if (byScript.isPresent()) {
      return byScript;
    }
    return byWords(s);
  }

  /**
   * The clear language of {@code text} when it is none of {@code declared} ({@code "en"} ...), else empty. A
   * script language counts as declared when any language of that script is (Cyrillic: ru, uk, bg, ...).
   */
  static Optional<String> unsupported(String text, Set<String> declared) {
    if (declared.isEmpty()) {
      return Optional.empty();
    }
    Optional<String> lang = detect(text);
    if (lang.isEmpty() || declared.contains(lang.get())) {
      return Optional.empty();
    }
    for (String d : SCRIPT_SIBLINGS.getOrDefault(lang.get(), Set.of())) {
      if (declared.contains(d)) {
        return Optional.empty();
      }
    }
    return lang;
  }

  private static final Map<String, Set<String>> SCRIPT_SIBLINGS = Map.of(
      "ru", Set.of("uk", "bg", "sr", "be", "kk", "mk", "ky", "tg", "mn"),
      "ar", Set.of("fa", "ur", "ps", "ku"),
      "hi", Set.of("mr", "ne", "sa"),
      "zh", Set.of("ja"));

  private static String sample(String text) {
    if (text.length() <= SAMPLE_CHARS) {
      return text;
    }
    int half = SAMPLE_CHARS / 2;
    int head = half;
    if (Character.isHighSurrogate(text.charAt(head - 1))) {
      head--;
    }
    int tail = text.length() - half;
    if (Character.isLowSurrogate(text.charAt(tail))) {
      tail++;
    }
    return text.substring(0, head) + " " + text.substring(tail);
  }

  private static Optional<String> byScript(String s) {
    int latin = 0;
    Map<String, Integer> other = new LinkedHashMap<>();
    int otherCount = 0;
    boolean kana = false;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      if (!Character.isLetter(cp)) {
        continue;
      }
      Character.UnicodeScript script;
      try {
        script = Character.UnicodeScript.of(cp);
      } catch (IllegalArgumentException e) {
        continue;
      }
      if (script == Character.UnicodeScript.LATIN) {
        latin++;
        continue;
      }
      String lang = languageOf(script);
      if (lang == null) {
        continue; // COMMON, INHERITED and scripts we do not name
      }
      if (script == Character.UnicodeScript.HIRAGANA || script == Character.UnicodeScript.KATAKANA) {
        kana = true;
      }
      int weight = dense(script) ? 3 : 1;
      other.merge(lang, weight, Integer::sum);
      otherCount++;
    }
    if (otherCount < 2) {
      return Optional.empty();
    }
    String best = null;
    int bestWeight = 0;
    int total = 0;
    for (Map.Entry<String, Integer> e : other.entrySet()) {
      total += e.getValue();
      if (e.getValue() > bestWeight) {
        bestWeight = e.getValue();
        best = e.getKey();
      }
    }
    if (total <= latin) {
      return Optional.empty(); // a majority of Latin letters: the word pass decides
    }
    if (kana && ("zh".equals(best) || "ja".equals(best))) {
      return Optional.of("ja"); // Han with kana is Japanese
    }
    return Optional.ofNullable(best);
  }

  private static boolean dense(Character.UnicodeScript s) {
    return s == Character.UnicodeScript.HAN || s == Character.UnicodeScript.HIRAGANA
        || s == Character.UnicodeScript.KATAKANA || s == Character.UnicodeScript.HANGUL;
  }

  private static String languageOf(Character.UnicodeScript s) {
    switch (s) {
      case HAN: return "zh";
      case HIRAGANA: case KATAKANA: return "ja";
      case HANGUL: return "ko";
      case CYRILLIC: return "ru";
      case ARABIC: return "ar";
      case HEBREW: return "he";
      case GREEK: return "el";
      case THAI: return "th";
      case DEVANAGARI: return "hi";
      case BENGALI: return "bn";
      case TAMIL: return "ta";
      case TELUGU: return "te";
      case GEORGIAN: return "ka";
      case ARMENIAN: return "hy";
      case ETHIOPIC: return "am";
      case KHMER: return "km";
      case LAO: return "lo";
      case MYANMAR: return "my";
      case GUJARATI: return "gu";
      case GURMUKHI: return "pa";
      case KANNADA: return "kn";
      case MALAYALAM: return "ml";
      case SINHALA: return "si";
      default: return null;
    }
  }

  private static Optional<String> byWords(String s) {
    Map<String, Integer> hits = new LinkedHashMap<>();
    int words = 0;
    int vietnamese = 0;
    int i = 0;
    int n = s.length();
    StringBuilder w = new StringBuilder();
    while (i <= n) {
      int cp = i < n ? s.codePointAt(i) : ' ';
      i += i < n ? Character.charCount(cp) : 1;
      if (Character.isLetter(cp) || (cp == '\'' && w.length() > 0)) {
        w.appendCodePoint(Character.toLowerCase(cp));
        continue;
      }
      if (w.length() == 0) {
        continue;
      }
      String word = w.toString();
      w.setLength(0);
      words++;
      if (hasVietnameseLetter(word)) {
        vietnamese++;
      }
      for (Map.Entry<String, Set<String>> e : WORDS.entrySet()) {
        if (e.getValue().contains(word)) {
          hits.merge(e.getKey(), 1, Integer::sum);
        }
      }
    }
    if (words < MIN_WORDS) {
      return Optional.empty();
    }
    if (vietnamese >= 2 && vietnamese * 4 >= words) {
      return Optional.of("vi"); // letters such as ơ, ư, đ, ạ, ố exist in no other language we meet
    }
    // English against the strongest other language: Spanish and Portuguese share many function words, which
    // must not hide that a text is clearly not English (the label then names the stronger of the two).
    int en = hits.getOrDefault("en", 0);
    String best = null;
    int other = 0;
    for (Map.Entry<String, Integer> e : hits.entrySet()) {
      if (!"en".equals(e.getKey()) && e.getValue() > other) {
        other = e.getValue();
        best = e.getKey();
      }
    }
    if (clear(other, en, words)) {
      return Optional.of(best);
    }
    return clear(en, other, words) ? Optional.of("en") : Optional.empty();
  }

  private static boolean clear(int hits, int rival, int words) {
    return hits >= 2 && hits * 7 >= words && hits > 2 * rival;
  }

  private static boolean hasVietnameseLetter(String word) {
    for (int i = 0; i < word.length(); i++) {
      char c = word.charAt(i);
      if ((c >= '\u1EA0' && c <= '\u1EF9') || c == '\u01A1' || c == '\u01B0' || c == '\u0103' || c == '\u0111') {
        return true;
      }
    }
    return false;
  }
}
