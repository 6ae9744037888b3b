using System.Text;

namespace Transport.Interop.Peers;

/// <summary>
/// The runner's files check (TESTCASES.md §1): the download directory must hold exactly the expected files, each
/// byte-identical to the web root's copy. Lists what is missing, extra or different.
/// </summary>
public sealed class DownloadVerdict
{
    private DownloadVerdict(IReadOnlyList<string> expected, IReadOnlyList<string> missing, IReadOnlyList<string> extra,
        IReadOnlyList<string> different)
    {
        Expected = expected;
        Missing = missing;
        Extra = extra;
        Different = different;
    }

    /// <summary>The expected files (relative paths, '/'-separated).</summary>
    public IReadOnlyList<string> Expected { get; }

    /// <summary>Expected files that were not downloaded.</summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>Files in the download directory that were not expected (fails the runner's check too).</summary>
    public IReadOnlyList<string> Extra { get; }

    /// <summary>Downloaded files whose bytes differ from the original, with a reason each ("name: why").</summary>
    public IReadOnlyList<string> Different { get; }

    /// <summary>True when nothing is missing, extra or different.</summary>
    public bool Succeeded => Missing.Count == 0 && Extra.Count == 0 && Different.Count == 0;

    /// <summary>
    /// Compares <paramref name="downloadDirectory"/> with <paramref name="webRoot"/> for
    /// <paramref name="expectedFiles"/> (paths relative to both, '/' or the platform separator; a leading '/' is
    /// ignored). A missing download directory counts as empty.
    /// </summary>
    public static DownloadVerdict Compare(string webRoot, string downloadDirectory, IEnumerable<string> expectedFiles)
    {
        ArgumentException.ThrowIfNullOrEmpty(webRoot);
        ArgumentException.ThrowIfNullOrEmpty(downloadDirectory);
        ArgumentNullException.ThrowIfNull(expectedFiles);

        var expected = new List<string>();
        var expectedSet = new HashSet<string>(StringComparer.Ordinal);
        foreach (string f in expectedFiles)
        {
            string n = Normalize(f);
            if (n.Length == 0) throw new ArgumentException("An expected file name is empty.", nameof(expectedFiles));
            if (expectedSet.Add(n)) expected.Add(n);
        }

        var present = new HashSet<string>(StringComparer.Ordinal);
        if (Directory.Exists(downloadDirectory))
        {
            foreach (string path in Directory.EnumerateFiles(downloadDirectory, "*", SearchOption.AllDirectories))
                present.Add(Normalize(Path.GetRelativePath(downloadDirectory, path)));
        }

        var missing = new List<string>();
        var different = new List<string>();
        foreach (string name in expected)
        {
            if (!present.Contains(name)) { missing.Add(name); continue; }
            string? why = Difference(Path.Combine(webRoot, name), Path.Combine(downloadDirectory, name));
            if (why is not null) different.Add(name + ": " + why);
        }
        var extra = new List<string>();
        foreach (string name in present)
            if (!expectedSet.Contains(name)) extra.Add(name);
        extra.Sort(StringComparer.Ordinal);
        return new DownloadVerdict(expected, missing, extra, different);
    }

    /// <summary>"OK (n files)" or a list of the problems (at most 10 names of each kind).</summary>
    public override string ToString()
    {
        if (Succeeded) return $"OK ({Expected.Count} files identical)";
        var sb = new StringBuilder();
        Append(sb, "missing", Missing);
        Append(sb, "extra", Extra);
        Append(sb, "different", Different);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, string what, IReadOnlyList<string> names)
    {
        if (names.Count == 0) return;
        if (sb.Length > 0) sb.Append("; ");
        sb.Append(names.Count).Append(' ').Append(what).Append(": ");
        for (int i = 0; i < Math.Min(10, names.Count); i++) sb.Append(i == 0 ? "" : ", ").Append(names[i]);
        if (names.Count > 10) sb.Append(", ...");
    }

    private static string Normalize(string path) => path.Replace(Path.DirectorySeparatorChar, '/').TrimStart('/');

    private static string? Difference(string original, string downloaded)
    {
        if (!File.Exists(original)) return "no such file in the web root";
        using var a = new FileStream(original, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var b = new FileStream(downloaded, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
        if (a.Length != b.Length) return $"{b.Length} bytes, expected {a.Length}";
        byte[] ba = new byte[64 * 1024];
        byte[] bb = new byte[64 * 1024];
        long offset = 0;
        while (true)
        {
            int na = a.ReadAtLeast(ba, ba.Length, throwOnEndOfStream: false);
            int nb = b.ReadAtLeast(bb, na, throwOnEndOfStream: false);
            if (nb != na) return $"short read at offset {offset}";
            if (na == 0) return null;
            int diff = ba.AsSpan(0, na).CommonPrefixLength(bb.AsSpan(0, na));
            if (diff < na) return $"first difference at byte {offset + diff}";
            offset += na;
        }
    }
}
