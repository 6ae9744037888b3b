namespace Transport.Interop.Peers;

/// <summary>
/// Where Debian's ngtcp2 example programs are (packages ngtcp2-client and ngtcp2-server: ngtcp2 0.12 with GnuTLS,
/// HTTP/3 only) and the constants their command lines need.
/// </summary>
public static class Ngtcp2
{
    /// <summary>The message given when the binaries are missing.</summary>
    public const string NotInstalledMessage = "ngtcp2 not installed: apt-get install ngtcp2-client ngtcp2-server";

    /// <summary>
    /// GnuTLS priority string that enables TLS_CHACHA20_POLY1305_SHA256 (0x1303) and no other TLS 1.3 cipher suite,
    /// for <c>--ciphers</c> (the chacha20 test case). Both programs' default is
    /// <c>NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-CCM</c>.
    /// </summary>
    public const string ChaCha20Only = "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305";

    /// <summary>GnuTLS priority string with only TLS_AES_128_GCM_SHA256.</summary>
    public const string Aes128GcmOnly = "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM";

    /// <summary>GnuTLS group string with only secp256r1 (P-256), for <c>--groups</c>.</summary>
    public const string Secp256r1Only = "-GROUP-ALL:+GROUP-SECP256R1";

    /// <summary>The directories searched, in order, before PATH.</summary>
    private static readonly string[] KnownDirectories = ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin"];

    private static readonly Lazy<string?> ClientPathLazy = new(() => Find("gtlsclient"));
    private static readonly Lazy<string?> ServerPathLazy = new(() => Find("gtlsserver"));

    /// <summary>Full path of gtlsclient, or null when absent.</summary>
    public static string? ClientPath => ClientPathLazy.Value;

    /// <summary>Full path of gtlsserver, or null when absent.</summary>
    public static string? ServerPath => ServerPathLazy.Value;

    /// <summary>True when both gtlsclient and gtlsserver are present.</summary>
    public static bool IsInstalled => ClientPath is not null && ServerPath is not null;

    /// <summary>Null when installed, else <see cref="NotInstalledMessage"/>.</summary>
    public static string? MissingReason => IsInstalled ? null : NotInstalledMessage;

    /// <summary>Throws <see cref="PlatformNotSupportedException"/> with <see cref="NotInstalledMessage"/> when absent.</summary>
    public static void ThrowIfNotInstalled()
    {
        if (!IsInstalled) throw new PlatformNotSupportedException(NotInstalledMessage);
    }

    /// <summary>Formats a duration the way ngtcp2's DURATION arguments take it (integer plus unit).</summary>
    public static string FormatDuration(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(duration), duration, "A duration cannot be negative.");
        long micros = duration.Ticks / 10;
        return micros % 1000 == 0 ? $"{micros / 1000}ms" : $"{micros}us";
    }

    private static string? Find(string name)
    {
        foreach (string dir in KnownDirectories)
        {
            string p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        string? path = Environment.GetEnvironmentVariable("PATH");
        if (path is null) return null;
        foreach (string dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }
}
