namespace Transport.Interop.Http3;

/// <summary>
/// Maps request paths to files under one root directory, refusing anything that would leave it (.., encoded
/// separators, NUL, absolute paths). Shared by the HTTP/3 and hq-interop servers.
/// </summary>
public sealed class WebRoot
{
    private readonly string _root; // full path, with a trailing separator

    /// <summary>Serves files under <paramref name="directory"/>.</summary>
    public WebRoot(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string full = Path.GetFullPath(directory);
        _root = full.EndsWith(Path.DirectorySeparatorChar) ? full : full + Path.DirectorySeparatorChar;
    }

    /// <summary>The root directory (full path, trailing separator).</summary>
    public string Directory => _root;

    /// <summary>
    /// The full path of the regular file that <paramref name="requestPath"/> (for example "/a/b.txt?x=1") names under
    /// the root, or null when it names nothing there or tries to escape it.
    /// </summary>
    public string? Resolve(string requestPath)
    {
        if (string.IsNullOrEmpty(requestPath) || requestPath[0] != '/') return null;
        int cut = requestPath.IndexOfAny(['?', '#']);
        if (cut >= 0) requestPath = requestPath[..cut];
        string decoded;
        try { decoded = Uri.UnescapeDataString(requestPath); }
        catch (UriFormatException) { return null; }
        if (decoded.Contains('\0') || decoded.Contains('\\')) return null;
        string[] segments = decoded.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0) return null;
        foreach (string segment in segments)
            if (segment is "." or "..") return null;
        string candidate;
        try { candidate = Path.GetFullPath(Path.Combine(_root, string.Join(Path.DirectorySeparatorChar, segments))); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return null; }
        if (!candidate.StartsWith(_root, StringComparison.Ordinal)) return null;
        return File.Exists(candidate) ? candidate : null;
    }

    /// <summary>
    /// The file name a client stores the response of <paramref name="url"/> under: the last path segment, or
    /// "index.html" for a path ending in '/'. Null when that name is unsafe.
    /// </summary>
    public static string? DownloadFileName(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        string path = Uri.UnescapeDataString(url.AbsolutePath);
        int slash = path.LastIndexOf('/');
        string name = slash >= 0 ? path[(slash + 1)..] : path;
        if (name.Length == 0) name = "index.html";
        if (name is "." or ".." || name.Contains('\\') || name.Contains('\0')) return null;
        return name;
    }
}
