// The simulator's compiled helper (loaded by UpnMatch.Sim.psm1, Initialize-SimTypes): exception types with the
// real modules' names, so that typed catch blocks in product scripts work, and the data, file, lookup and Graph
// conversions every fake call runs (PowerShell code for them was too slow on large worlds).
// Written in C# 5 so that Windows PowerShell 5.1 compiles it too.
namespace Microsoft.ActiveDirectory.Management {
    public class ADException : System.Exception {
        public ADException() : base() {}
        public ADException(string message) : base(message) {}
        public ADException(string message, System.Exception inner) : base(message, inner) {}
        public ADException(string message, int errorCode) : base(message) { ErrorCode = errorCode; }
        // The directory's (Win32) error code, the number in the error id "ActiveDirectoryServer:<code>".
        public int ErrorCode { get; set; }
        public string ServerErrorMessage { get; set; }
    }
    public class ADIdentityResolutionException : ADException {
        public ADIdentityResolutionException(string message) : base(message) {}
    }
    public class ADIdentityNotFoundException : ADIdentityResolutionException {
        public ADIdentityNotFoundException(string message) : base(message) {}
    }
    public class ADIdentityAlreadyExistsException : ADException {
        public ADIdentityAlreadyExistsException(string message) : base(message) {}
    }
    public class ADFilterParsingException : ADException {
        public ADFilterParsingException(string message) : base(message) {}
        public string Query { get; set; }
        public int Position { get; set; }
    }
    public class ADServerDownException : ADException {
        public ADServerDownException(string message) : base(message) {}
    }
    public class ADInvalidOperationException : ADException {
        public ADInvalidOperationException(string message) : base(message) {}
    }
    public class ADPasswordComplexityException : ADException {
        public ADPasswordComplexityException(string message) : base(message) {}
    }
}
namespace Microsoft.Graph.PowerShell.Authentication.Helpers {
    public class HttpResponseException : System.Net.Http.HttpRequestException {
        public HttpResponseException(string message, System.Net.Http.HttpResponseMessage response) : base(message) { Response = response; }
        public System.Net.Http.HttpResponseMessage Response { get; private set; }
    }
}
namespace Microsoft.Kiota.Abstractions {
    // What the Graph SDK's retry handler (Kiota RetryHandler) keeps of each retryable answer when it gives up:
    // the status and the headers, no response object (kiota-dotnet RetryHandler.GetInnerExceptionAsync).
    public class ApiException : System.Exception {
        public ApiException() : base() {}
        public ApiException(string message) : base(message) {}
        public ApiException(string message, System.Exception inner) : base(message, inner) {}
        public int ResponseStatusCode { get; set; }
        private System.Collections.Generic.IDictionary<string, System.Collections.Generic.IEnumerable<string>> headers =
            new System.Collections.Generic.Dictionary<string, System.Collections.Generic.IEnumerable<string>>(System.StringComparer.OrdinalIgnoreCase);
        public System.Collections.Generic.IDictionary<string, System.Collections.Generic.IEnumerable<string>> ResponseHeaders { get { return headers; } set { headers = value; } }
    }
}
namespace Microsoft.Online.Administration.Automation {
    public class MicrosoftOnlineException : System.Exception {
        public MicrosoftOnlineException(string message) : base(message) {}
    }
}
namespace Microsoft.IdentityManagement.PowerShell.ObjectModel {
    // Get-ADSyncGlobalSettings' Parameters: a collection indexed by parameter name (Microsoft's own scripts read
    // .Parameters["Microsoft.SynchronizationOption.UPNAttribute"].Value) that enumerates its parameters (community
    // scripts pipe it to Where-Object { $_.Name -eq ... }). Each parameter's properties as dumps of the real one show
    // them; every value is a string. The real collection's class name is not documented: this one is the sim's.
    public class ConfigurationParameter {
        public string Name { get; set; }
        public string InputType { get; set; }
        public string Scope { get; set; }
        public string Description { get; set; }
        public string RegexValidationPattern { get; set; }
        public string DefaultValue { get; set; }
        public string Value { get; set; }
        public bool Extensible { get; set; }
        public int PageNumber { get; set; }
        public bool Intrinsic { get; set; }
        public string DataType { get; set; }
    }
    public class ConfigurationParameterCollection : System.Collections.ObjectModel.KeyedCollection<string, ConfigurationParameter> {
        public ConfigurationParameterCollection() : base(System.StringComparer.OrdinalIgnoreCase) {}
        protected override string GetKeyForItem(ConfigurationParameter item) { return item.Name; }
    }
}
namespace UpnMatchSim {
    using System;
    using System.Collections;
    using System.Collections.Specialized;
    using System.Globalization;
    using System.Management.Automation;
    using System.Text;

    // Plain data for the simulator: OrderedDictionary (case-insensitive keys), object[] arrays, string, bool,
    // int/long/double, null. Written in C# 5 so that Windows PowerShell 5.1 compiles it too.
    public static class Data {
        public static object ParseJson(string text) {
            JsonReader reader = new JsonReader(text);
            reader.SkipWhite();
            object value = reader.ReadValue();
            reader.SkipWhite();
            if (reader.Position != text.Length) { throw new FormatException("Unexpected text after the JSON value at position " + reader.Position); }
            return value;
        }

        public static object DeepCopy(object value) {
            IDictionary map = value as IDictionary;
            if (map != null) {
                OrderedDictionary copy = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
                foreach (DictionaryEntry entry in map) { copy[Convert.ToString(entry.Key, CultureInfo.InvariantCulture)] = DeepCopy(entry.Value); }
                return copy;
            }
            object[] array = value as object[];
            if (array != null) {
                object[] copy = new object[array.Length];
                for (int i = 0; i < array.Length; i++) { copy[i] = DeepCopy(array[i]); }
                return copy;
            }
            PSObject wrapped = value as PSObject;
            if (wrapped != null) { return Normalize(value); }
            return value;
        }

        public static object Normalize(object value) {
            if (value == null) { return null; }
            PSObject wrapped = value as PSObject;
            if (wrapped != null) {
                if (wrapped.BaseObject is PSCustomObject) {
                    OrderedDictionary fromObject = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
                    foreach (PSPropertyInfo property in wrapped.Properties) { fromObject[property.Name] = Normalize(property.Value); }
                    return fromObject;
                }
                value = wrapped.BaseObject;
            }
            if (value is string || value is bool || value is int || value is long || value is double || value is decimal) { return value; }
            if (value is DateTime) { return ((DateTime)value).ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture); }
            if (value is DateTimeOffset) { return ((DateTimeOffset)value).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture); }
            if (value is Guid) { return value.ToString(); }
            byte[] bytes = value as byte[];
            if (bytes != null) { return Convert.ToBase64String(bytes); }
            if (value is SwitchParameter) { return ((SwitchParameter)value).IsPresent; }
            if (value is Enum) { return value.ToString(); }
            if (value is ValueType) { return value; }
            IDictionary map = value as IDictionary;
            if (map != null) {
                OrderedDictionary copy = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
                foreach (DictionaryEntry entry in map) { copy[Convert.ToString(entry.Key, CultureInfo.InvariantCulture)] = Normalize(entry.Value); }
                return copy;
            }
            IEnumerable items = value as IEnumerable;
            if (items != null) {
                ArrayList list = new ArrayList();
                foreach (object item in items) { list.Add(Normalize(item)); }
                return list.ToArray();
            }
            return Convert.ToString(value, CultureInfo.InvariantCulture);
        }

        // Positions of the dictionaries in items by field value: key = lower-case field name, NUL, value
        // (compared case-insensitively); null and empty values are left out.
        public static Index BuildIndex(object items, string[] fields) {
            Index index = new Index(fields);
            object[] list = items as object[];
            if (list == null) { list = new object[0]; }
            index.Items = list;
            for (int i = 0; i < list.Length; i++) { index.Add(list, i); }
            return index;
        }

        // JSON text of a value, as ConvertTo-Json would write its Normalize()d form (two-space indents), but
        // without PowerShell's cost per property: the state file of a large world is rewritten on every change.
        public static string ToJson(object value, bool indent) {
            StringBuilder builder = new StringBuilder();
            Write(builder, value, indent, 0);
            return builder.ToString();
        }

        private static void Write(StringBuilder b, object value, bool indent, int depth) {
            if (value is PSObject) { value = Normalize(value); }
            if (value == null) { b.Append("null"); return; }
            string text = value as string;
            if (text != null) { WriteString(b, text); return; }
            if (value is bool) { b.Append((bool)value ? "true" : "false"); return; }
            if (value is int || value is long || value is short || value is byte || value is sbyte || value is uint || value is ulong || value is ushort || value is decimal) {
                b.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
            }
            if (value is double || value is float) {
                double number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsNaN(number) || double.IsInfinity(number)) { WriteString(b, number.ToString(CultureInfo.InvariantCulture)); return; }
                b.Append(number.ToString("R", CultureInfo.InvariantCulture));
                return;
            }
            IDictionary map = value as IDictionary;
            if (map != null) {
                if (map.Count == 0) { b.Append("{}"); return; }
                b.Append('{');
                bool first = true;
                foreach (DictionaryEntry entry in map) {
                    if (!first) { b.Append(','); }
                    first = false;
                    NewLine(b, indent, depth + 1);
                    WriteString(b, Convert.ToString(entry.Key, CultureInfo.InvariantCulture));
                    b.Append(indent ? ": " : ":");
                    Write(b, entry.Value, indent, depth + 1);
                }
                NewLine(b, indent, depth);
                b.Append('}');
                return;
            }
            object[] array = value as object[];
            if (array != null) {
                if (array.Length == 0) { b.Append("[]"); return; }
                b.Append('[');
                for (int i = 0; i < array.Length; i++) {
                    if (i > 0) { b.Append(','); }
                    NewLine(b, indent, depth + 1);
                    Write(b, array[i], indent, depth + 1);
                }
                NewLine(b, indent, depth);
                b.Append(']');
                return;
            }
            object normalized = Normalize(value);
            if (normalized is string || normalized is IDictionary || normalized is object[] || normalized is bool || normalized == null) {
                Write(b, normalized, indent, depth);
                return;
            }
            WriteString(b, Convert.ToString(normalized, CultureInfo.InvariantCulture));
        }

        private static void NewLine(StringBuilder b, bool indent, int depth) {
            if (!indent) { return; }
            b.Append('\n');
            b.Append(' ', depth * 2);
        }

        private static void WriteString(StringBuilder b, string text) {
            b.Append('"');
            int run = 0;
            for (int i = 0; i < text.Length; i++) {
                char c = text[i];
                string escape = null;
                switch (c) {
                    case '"': escape = "\\\""; break;
                    case '\\': escape = "\\\\"; break;
                    case '\n': escape = "\\n"; break;
                    case '\r': escape = "\\r"; break;
                    case '\t': escape = "\\t"; break;
                    case '\b': escape = "\\b"; break;
                    case '\f': escape = "\\f"; break;
                    default:
                        if (c < ' ' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                            escape = "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture);
                        }
                        break;
                }
                if (escape == null) { continue; }
                if (i > run) { b.Append(text, run, i - run); }
                b.Append(escape);
                run = i + 1;
            }
            if (text.Length > run) { b.Append(text, run, text.Length - run); }
            b.Append('"');
        }

        // Writes a value's JSON (ToJson) to a file through a temp file beside it, then moves it over the file
        // (as WriteAtomic does), without holding the whole text as one string.
        public static void WriteJsonFileAtomic(string path, object value, bool indent) {
            StringBuilder builder = new StringBuilder();
            Write(builder, value, indent, 0);
            Files.WriteAtomic(path, builder);
        }
    }

    // The simulator's own files: written atomically (temp file, then replace), the call log appended.
    // Positions of the dictionaries of a list by field value (key: lower-case field name, NUL, value; compared
    // case-insensitively). It keeps each position's keys, so that the simulator server, which keeps the world in
    // memory across writes, updates it after a write instead of building it again over 50,000 users.
    public class Index : System.Collections.Generic.Dictionary<string, System.Collections.Generic.List<int>> {
        private readonly string[] fields;
        private readonly System.Collections.Generic.List<string[]> keysAt = new System.Collections.Generic.List<string[]>();
        public object[] Items;

        public Index(string[] fields) : base(StringComparer.OrdinalIgnoreCase) { this.fields = fields; }

        internal void Add(object[] list, int i) {
            System.Collections.Generic.List<string> keys = new System.Collections.Generic.List<string>();
            IDictionary map = list[i] as IDictionary;
            if (map != null) {
                foreach (string field in fields) {
                    if (!map.Contains(field)) { continue; }
                    string text = Convert.ToString(map[field], CultureInfo.InvariantCulture);
                    if (string.IsNullOrEmpty(text)) { continue; }
                    string key = field.ToLowerInvariant() + "\0" + text;
                    System.Collections.Generic.List<int> hits;
                    if (!TryGetValue(key, out hits)) {
                        hits = new System.Collections.Generic.List<int>();
                        this[key] = hits;
                    }
                    if (!hits.Contains(i)) { hits.Add(i); }
                    keys.Add(key);
                }
            }
            while (keysAt.Count <= i) { keysAt.Add(null); }
            keysAt[i] = keys.ToArray();
        }

        private void Remove(int i) {
            if (i >= keysAt.Count || keysAt[i] == null) { return; }
            foreach (string key in keysAt[i]) {
                System.Collections.Generic.List<int> hits;
                if (!TryGetValue(key, out hits)) { continue; }
                hits.Remove(i);
                if (hits.Count == 0) { base.Remove(key); }
            }
            keysAt[i] = null;
        }

        // After a write: items is the list now, touched the objects the write changed in place. Indexes the
        // objects appended to the list and indexes the touched ones again. False when the list changed otherwise
        // (an object removed or replaced): the caller then builds the index again.
        public bool Update(object items, object[] touched) {
            object[] list = items as object[];
            if (list == null) { list = new object[0]; }
            if (list.Length < Items.Length) { return false; }
            for (int i = 0; i < Items.Length; i++) {
                if (!Object.ReferenceEquals(list[i], Items[i])) { return false; }
            }
            int before = Items.Length;
            Items = list;
            for (int i = before; i < list.Length; i++) { Add(list, i); }
            if (touched != null && touched.Length > 0) {
                System.Collections.Generic.HashSet<object> set = new System.Collections.Generic.HashSet<object>(ReferenceComparer.Instance);
                foreach (object t in touched) { if (t != null) { set.Add(t is PSObject ? ((PSObject)t).BaseObject : t); } }
                for (int i = 0; i < before; i++) {
                    if (set.Contains(list[i])) { Remove(i); Add(list, i); }
                }
            }
            return true;
        }
    }

    internal sealed class ReferenceComparer : System.Collections.Generic.IEqualityComparer<object> {
        public static readonly ReferenceComparer Instance = new ReferenceComparer();
        bool System.Collections.Generic.IEqualityComparer<object>.Equals(object a, object b) { return Object.ReferenceEquals(a, b); }
        int System.Collections.Generic.IEqualityComparer<object>.GetHashCode(object o) { return System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(o); }
    }

    // A client of the simulator server: sends "save" as the process exits (see Write-SimState), once per pipe.
    public static class RemoteClient {
        private static readonly System.Collections.Generic.HashSet<string> pipes = new System.Collections.Generic.HashSet<string>();

        public static void SaveOnExit(string pipe) {
            // Called as the fake modules are imported, on the session's thread.
            if (!pipes.Add(pipe)) { return; }
            AppDomain.CurrentDomain.ProcessExit += delegate { Save(pipe); };
        }

        public static void Save(string pipe) {
            try {
                using (System.IO.Pipes.NamedPipeClientStream stream = new System.IO.Pipes.NamedPipeClientStream(".", pipe, System.IO.Pipes.PipeDirection.InOut)) {
                    // The server gone (stopped first): give up quickly rather than hold the exit.
                    stream.Connect(2000);
                    byte[] body = Encoding.UTF8.GetBytes("save");
                    stream.Write(BitConverter.GetBytes(body.Length), 0, 4);
                    stream.Write(body, 0, body.Length);
                    stream.Flush();
                    byte[] header = new byte[4];
                    int read = 0;
                    while (read < 4) {
                        int n = stream.Read(header, read, 4 - read);
                        if (n <= 0) { return; }
                        read += n;
                    }
                    int length = BitConverter.ToInt32(header, 0);
                    byte[] reply = new byte[length];
                    read = 0;
                    while (read < length) {
                        int n = stream.Read(reply, read, length - read);
                        if (n <= 0) { return; }
                        read += n;
                    }
                }
            } catch (Exception) {
                // Best effort: the server also saves when no call comes for a moment.
            }
        }
    }

    public static class Files {
        private static readonly UTF8Encoding Utf8NoBom = new UTF8Encoding(false);

        // This process's id, for temp file names (set by UpnMatch.Sim once loaded: $PID).
        public static int ProcessId;

        public static void WriteAtomic(string path, string text) {
            StringBuilder builder = new StringBuilder(text);
            WriteAtomic(path, builder);
        }

        // The text goes to <path>.<pid>.<guid>.tmp, which then replaces the target. On Windows
        // a reader outside the lock (the CLI, a test) can hold the target open for a moment: 40 attempts, 25 ms apart.
        public static void WriteAtomic(string path, StringBuilder text) {
            string temp = string.Format(CultureInfo.InvariantCulture, "{0}.{1}.{2}.tmp", path, ProcessId, Guid.NewGuid().ToString("N"));
            using (System.IO.StreamWriter writer = new System.IO.StreamWriter(temp, false, Utf8NoBom, 65536)) {
                // Slices of 16,000 characters: no string of the whole text (a large object) is made.
                const int slice = 16000;
                for (int start = 0; start < text.Length; start += slice) {
                    writer.Write(text.ToString(start, Math.Min(slice, text.Length - start)));
                }
            }
            int attempt = 0;
            while (true) {
                try {
                    if (System.IO.File.Exists(path)) { System.IO.File.Replace(temp, path, null); } else { System.IO.File.Move(temp, path); }
                    return;
                } catch (Exception) {
                    attempt++;
                    if (attempt >= 40) {
                        if (System.IO.File.Exists(temp)) { System.IO.File.Delete(temp); }
                        throw;
                    }
                    System.Threading.Thread.Sleep(25);
                }
            }
        }

        public static void Append(string path, string text) {
            System.IO.File.AppendAllText(path, text, Utf8NoBom);
        }

        // Invoke-SimCommand's count of a call in counters.json ({ commands: { <cmdlet>: n, "<cmdlet> <route>": n },
        // graphRequests: n }, across processes; the caller holds the lock): read, add one, written back. Returns
        // the counters.
        public static OrderedDictionary CountCall(string path, string command, string route) {
            object parsed = null;
            if (System.IO.File.Exists(path)) {
                string text = System.IO.File.ReadAllText(path, Encoding.UTF8);
                if (!string.IsNullOrWhiteSpace(text)) {
                    try { parsed = Data.ParseJson(text); }
                    catch (Exception e) { throw new FormatException("upn-match simulator: cannot parse " + path + ": " + e.Message); }
                }
            }
            OrderedDictionary counters = parsed as OrderedDictionary;
            if (parsed != null && counters == null) { throw new FormatException("upn-match simulator: " + path + " does not hold a JSON object"); }
            if (counters == null) { counters = new OrderedDictionary(StringComparer.OrdinalIgnoreCase); }
            if (counters["commands"] == null) { counters["commands"] = new OrderedDictionary(StringComparer.OrdinalIgnoreCase); }
            IDictionary commands = counters["commands"] as IDictionary;
            if (commands == null) { throw new FormatException("upn-match simulator: " + path + " has no commands object"); }
            if (counters["graphRequests"] == null) { counters["graphRequests"] = 0; }
            Increment(commands, command);
            if (!string.IsNullOrEmpty(route)) { Increment(commands, command + " " + route); }
            Data.WriteJsonFileAtomic(path, counters, true);
            return counters;
        }

        private static void Increment(IDictionary map, string key) {
            object value = map[key];
            int count = value == null ? 0 : Convert.ToInt32(value, CultureInfo.InvariantCulture);
            map[key] = count + 1;
        }

        // Size and last write time of a file ("length:ticks"), or null when it does not exist.
        public static string Stamp(string path) {
            System.IO.FileInfo info = new System.IO.FileInfo(path);
            if (!info.Exists) { return null; }
            return info.Length.ToString(CultureInfo.InvariantCulture) + ":" + info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture);
        }
    }

    // What the sync engine (UpnMatch.Sim.Sync.ps1) compares, with PowerShell's semantics: [string] casts,
    // .Equals with OrdinalIgnoreCase, -ceq for the source anchor.
    public static class Lookup {
        private static readonly System.Text.RegularExpressions.Regex SmtpProxy =
            new System.Text.RegularExpressions.Regex("^(?i)smtp:(.+)$", System.Text.RegularExpressions.RegexOptions.IgnoreCase);

        internal static object Unwrap(object value) {
            PSObject wrapped = value as PSObject;
            if (wrapped != null && !(wrapped.BaseObject is PSCustomObject)) { return wrapped.BaseObject; }
            return value;
        }

        // PowerShell's [string] of a value ($null -> '').
        public static string Text(object value) {
            value = Unwrap(value);
            if (value == null) { return string.Empty; }
            string text = value as string;
            if (text != null) { return text; }
            return (string)LanguagePrimitives.ConvertTo(value, typeof(string), CultureInfo.InvariantCulture);
        }

        // Get-SimValue $Map $Key: null when the map or the key is missing.
        internal static object Get(object map, string key) {
            IDictionary dictionary = Unwrap(map) as IDictionary;
            if (dictionary == null || !dictionary.Contains(key)) { return null; }
            return dictionary[key];
        }

        // The items of @($List): none for null, the one item for a scalar or a dictionary.
        internal static IList Items(object list) {
            list = Unwrap(list);
            ArrayList items = new ArrayList();
            if (list == null) { return items; }
            if (list is string || list is IDictionary || !(list is IEnumerable)) { items.Add(list); return items; }
            foreach (object item in (IEnumerable)list) { items.Add(item); }
            return items;
        }

        // Get-SimPrimarySmtp: the proxyAddresses entry with the upper-case "SMTP:" prefix, else mail, else null.
        public static string PrimarySmtp(object proxyAddresses, object mail) {
            foreach (object proxy in Items(proxyAddresses)) {
                string text = Unwrap(proxy) as string;
                if (text != null && text.StartsWith("SMTP:", StringComparison.Ordinal)) { return text.Substring(5); }
            }
            string mailText = Unwrap(mail) as string;
            if (mailText != null && mailText.Length > 0) { return mailText; }
            return null;
        }

        internal static string PrimarySmtpOf(object item) {
            object proxies = Get(item, "proxyAddresses");
            return PrimarySmtp(proxies == null ? new object[0] : proxies, Get(item, "mail"));
        }

        // Every SMTP address an object holds (proxyAddresses without prefix, and mail), lower-case.
        public static string[] CloudAddresses(object item) {
            ArrayList addresses = new ArrayList();
            object proxies = Get(item, "proxyAddresses");
            foreach (object proxy in Items(proxies == null ? new object[0] : proxies)) {
                System.Text.RegularExpressions.Match match = SmtpProxy.Match(Text(proxy));
                if (match.Success) { addresses.Add(match.Groups[1].Value.ToLowerInvariant()); }
            }
            object mailValue = Get(item, "mail");
            string mail = mailValue == null ? string.Empty : Text(mailValue);
            if (mail.Length > 0) { addresses.Add(mail.ToLowerInvariant()); }
            return (string[])addresses.ToArray(typeof(string));
        }

    }

    // One cycle's lookups over one list of cloud objects (tenant users, deleted users, groups, contacts): the
    // first or last object, in list order, whose id, UPN, source anchor, primary SMTP address or any address is
    // a value. A scan of 54,500 users for each of 10,000 changed accounts took the engine 39 minutes; this finds
    // them by hash. The engine tells it of each object it appends, changes or removes (Touch, Drop); each hit is
    // checked against the object itself, so the keys an object had before a change find nothing.
    public sealed class CloudIndex {
        private const string Id = "id\0", Upn = "upn\0", Smtp = "smtp\0", Address = "address\0";
        private readonly System.Collections.Generic.Dictionary<object, long> positions =
            new System.Collections.Generic.Dictionary<object, long>(ReferenceComparer.Instance);
        // Keys compared as the engine compares the values: OrdinalIgnoreCase ...
        private readonly System.Collections.Generic.Dictionary<string, System.Collections.Generic.List<object>> byText =
            new System.Collections.Generic.Dictionary<string, System.Collections.Generic.List<object>>(StringComparer.OrdinalIgnoreCase);
        // ... and the source anchor case-sensitively (-ceq; an anchor is base64 or GUID text, where ordinal and
        // invariant-culture comparison agree).
        private readonly System.Collections.Generic.Dictionary<string, System.Collections.Generic.List<object>> byAnchor =
            new System.Collections.Generic.Dictionary<string, System.Collections.Generic.List<object>>(StringComparer.Ordinal);
        private long next;

        public CloudIndex(object list) { foreach (object item in Lookup.Items(list)) { Touch(item); } }

        // An object appended to the list (it goes last) or changed in place: indexed under its values now.
        public void Touch(object item) {
            object bare = Lookup.Unwrap(item);
            if (bare == null) { return; }
            if (!positions.ContainsKey(bare)) { positions[bare] = next++; }
            Add(byText, Id, Lookup.Text(Lookup.Get(bare, "id")), bare);
            Add(byText, Upn, Lookup.Text(Lookup.Get(bare, "userPrincipalName")), bare);
            Add(byAnchor, string.Empty, Lookup.Text(Lookup.Get(bare, "onPremisesImmutableId")), bare);
            Add(byText, Smtp, Lookup.PrimarySmtpOf(bare), bare);
            foreach (string held in Lookup.CloudAddresses(bare)) { Add(byText, Address, held, bare); }
        }

        // An object removed from the list.
        public void Drop(object item) { object bare = Lookup.Unwrap(item); if (bare != null) { positions.Remove(bare); } }

        private static void Add(System.Collections.Generic.Dictionary<string, System.Collections.Generic.List<object>> map, string family, string value, object item) {
            if (string.IsNullOrEmpty(value)) { return; }
            System.Collections.Generic.List<object> hits;
            if (!map.TryGetValue(family + value, out hits)) { hits = new System.Collections.Generic.List<object>(1); map[family + value] = hits; }
            foreach (object hit in hits) { if (Object.ReferenceEquals(hit, item)) { return; } }
            hits.Add(item);
        }

        // The first (or last) object in the list among the hits that still holds the value and is not exceptId.
        private object Pick(System.Collections.Generic.Dictionary<string, System.Collections.Generic.List<object>> map, string family, string value, Func<object, bool> holds, string exceptId, bool last) {
            System.Collections.Generic.List<object> hits;
            if (string.IsNullOrEmpty(value) || !map.TryGetValue(family + value, out hits)) { return null; }
            object found = null;
            long foundAt = 0;
            foreach (object hit in hits) {
                long at;
                if (!positions.TryGetValue(hit, out at) || !holds(hit)) { continue; }
                if (!string.IsNullOrEmpty(exceptId) && Lookup.Text(Lookup.Get(hit, "id")).Equals(exceptId, StringComparison.OrdinalIgnoreCase)) { continue; }
                if (found == null || (last ? at > foundAt : at < foundAt)) { found = hit; foundAt = at; }
            }
            return found;
        }

        private static Func<object, bool> TextIs(string field, string value) {
            return item => Lookup.Text(Lookup.Get(item, field)).Equals(value, StringComparison.OrdinalIgnoreCase);
        }

        public object LastById(string id) { return Pick(byText, Id, id, TextIs("id", id), null, true); }

        public object FirstByUpn(string upn, string exceptId) { return Pick(byText, Upn, upn, TextIs("userPrincipalName", upn), exceptId, false); }

        public object FirstByAnchor(string anchor) {
            return Pick(byAnchor, string.Empty, anchor, item => string.Compare(Lookup.Text(Lookup.Get(item, "onPremisesImmutableId")), anchor, CultureInfo.InvariantCulture, CompareOptions.None) == 0, null, false);
        }

        public object FirstByPrimarySmtp(string address) { return BySmtp(address, false); }

        public object LastByPrimarySmtp(string address) { return BySmtp(address, true); }

        private object BySmtp(string address, bool last) {
            return Pick(byText, Smtp, address, item => { string primary = Lookup.PrimarySmtpOf(item); return !string.IsNullOrEmpty(primary) && primary.Equals(address, StringComparison.OrdinalIgnoreCase); }, null, last);
        }

        // The first object (other than exceptId) that holds the address (compared ignoring case, invariant culture).
        public object FirstByAddress(string address, string exceptId) {
            return Pick(byText, Address, address, item => {
                foreach (string held in Lookup.CloudAddresses(item)) {
                    if (string.Compare(held, address, CultureInfo.InvariantCulture, CompareOptions.IgnoreCase) == 0) { return true; }
                }
                return false;
            }, exceptId, false);
        }
    }

    // The fake Graph module's conversions of response bodies (ConvertTo-GraphEntity, ConvertTo-GraphHashtable):
    // a users page converts every property of every user.
    public static class Graph {
        private static bool IsAny(string name, string[] names) {
            foreach (string candidate in names) { if (string.Compare(name, candidate, CultureInfo.InvariantCulture, CompareOptions.IgnoreCase) == 0) { return true; } }
            return false;
        }

        private static readonly string[] ArrayProperties = new string[] { "businessPhones", "proxyAddresses", "otherMails", "onPremisesProvisioningErrors" };
        private static readonly string[] Skipped = new string[] { "members" };

        // ConvertTo-GraphEntity once its property names are known.
        public static OrderedDictionary ProjectEntity(IDictionary item, string[] names) {
            OrderedDictionary output = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
            foreach (string name in names) {
                object value = null;
                bool present = false;
                if (item.Contains(name)) { value = item[name]; present = true; }
                if (!present && IsAny(name, ArrayProperties)) { value = new object[0]; }
                if (IsAny(name, Skipped)) { continue; }
                output[name] = value;
            }
            return output;
        }

        // ConvertTo-GraphHashtable: dictionaries become hashtables, arrays object[], recursively. What the PowerShell
        // function's output would be: another enumerable is unrolled (nothing: null, one item: the item).
        public static object ToHashtable(object value) {
            if (value == null) { return null; }
            PSObject wrapped = value as PSObject;
            object bare = wrapped != null ? wrapped.BaseObject : value;
            IDictionary map = bare as IDictionary;
            if (map != null) {
                Hashtable table = new Hashtable(StringComparer.OrdinalIgnoreCase);
                foreach (object key in new ArrayList(map.Keys)) { table[Lookup.Text(key)] = ToHashtable(map[key]); }
                return table;
            }
            Array array = bare as Array;
            if (array != null) {
                object[] list = new object[array.Length];
                int i = 0;
                foreach (object item in array) { list[i++] = ToHashtable(item); }
                return list;
            }
            if (bare is string || !(bare is IEnumerable) || (wrapped != null && wrapped.BaseObject is PSCustomObject)) { return value; }
            ArrayList items = new ArrayList();
            foreach (object item in (IEnumerable)bare) { items.Add(item); }
            if (items.Count == 0) { return null; }
            if (items.Count == 1) { return items[0]; }
            return items.ToArray();
        }
    }

    internal sealed class JsonReader {
        private readonly string text;
        public int Position;
        public JsonReader(string text) { this.text = text; this.Position = 0; }

        private Exception Fail(string what) { return new FormatException(what + " at position " + Position); }

        public void SkipWhite() {
            while (Position < text.Length) {
                char c = text[Position];
                if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\uFEFF') { Position++; } else { break; }
            }
        }

        public object ReadValue() {
            SkipWhite();
            if (Position >= text.Length) { throw Fail("Unexpected end of JSON"); }
            char c = text[Position];
            if (c == '{') { return ReadObject(); }
            if (c == '[') { return ReadArray(); }
            if (c == '"') { return ReadString(); }
            if (c == 't') { Expect("true"); return true; }
            if (c == 'f') { Expect("false"); return false; }
            if (c == 'n') { Expect("null"); return null; }
            return ReadNumber();
        }

        private void Expect(string word) {
            if (string.CompareOrdinal(text, Position, word, 0, word.Length) != 0) { throw Fail("Invalid JSON literal"); }
            Position += word.Length;
        }

        private OrderedDictionary ReadObject() {
            OrderedDictionary map = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
            Position++;
            SkipWhite();
            if (Position < text.Length && text[Position] == '}') { Position++; return map; }
            while (true) {
                SkipWhite();
                if (Position >= text.Length || text[Position] != '"') { throw Fail("Expected a property name"); }
                string key = ReadString();
                SkipWhite();
                if (Position >= text.Length || text[Position] != ':') { throw Fail("Expected ':'"); }
                Position++;
                map[key] = ReadValue();
                SkipWhite();
                if (Position >= text.Length) { throw Fail("Unexpected end of JSON"); }
                if (text[Position] == ',') { Position++; continue; }
                if (text[Position] == '}') { Position++; return map; }
                throw Fail("Expected ',' or '}'");
            }
        }

        private object[] ReadArray() {
            ArrayList list = new ArrayList();
            Position++;
            SkipWhite();
            if (Position < text.Length && text[Position] == ']') { Position++; return list.ToArray(); }
            while (true) {
                list.Add(ReadValue());
                SkipWhite();
                if (Position >= text.Length) { throw Fail("Unexpected end of JSON"); }
                if (text[Position] == ',') { Position++; continue; }
                if (text[Position] == ']') { Position++; return list.ToArray(); }
                throw Fail("Expected ',' or ']'");
            }
        }

        private string ReadString() {
            StringBuilder builder = new StringBuilder();
            Position++;
            while (true) {
                if (Position >= text.Length) { throw Fail("Unterminated string"); }
                char c = text[Position++];
                if (c == '"') { return builder.ToString(); }
                if (c != '\\') { builder.Append(c); continue; }
                if (Position >= text.Length) { throw Fail("Unterminated escape"); }
                char e = text[Position++];
                switch (e) {
                    case '"': builder.Append('"'); break;
                    case '\\': builder.Append('\\'); break;
                    case '/': builder.Append('/'); break;
                    case 'b': builder.Append('\b'); break;
                    case 'f': builder.Append('\f'); break;
                    case 'n': builder.Append('\n'); break;
                    case 'r': builder.Append('\r'); break;
                    case 't': builder.Append('\t'); break;
                    case 'u':
                        if (Position + 4 > text.Length) { throw Fail("Bad unicode escape"); }
                        builder.Append((char)int.Parse(text.Substring(Position, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        Position += 4;
                        break;
                    default: throw Fail("Bad escape");
                }
            }
        }

        private object ReadNumber() {
            int start = Position;
            while (Position < text.Length && "+-0123456789.eE".IndexOf(text[Position]) >= 0) { Position++; }
            string token = text.Substring(start, Position - start);
            if (token.Length == 0) { throw Fail("Unexpected character"); }
            if (token.IndexOf('.') < 0 && token.IndexOf('e') < 0 && token.IndexOf('E') < 0) {
                int small;
                if (int.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out small)) { return small; }
                long large;
                if (long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out large)) { return large; }
            }
            double number;
            if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out number)) { return number; }
            throw Fail("Invalid number");
        }
    }
}
