using System.Net.Quic;
using System.Runtime.Versioning;

namespace Transport.Interop.Msquic;

/// <summary>
/// Whether msquic can be used as an interop peer through System.Net.Quic. System.Net.Quic needs the native
/// libmsquic, which no package source of this project's machines serves; where it is missing every msquic peer
/// reports <see cref="NotInstalledMessage"/>.
/// </summary>
public static class MsquicPeer
{
    /// <summary>The message given when libmsquic is absent.</summary>
    public const string NotInstalledMessage =
        "libmsquic not installed (install the libmsquic package from packages.microsoft.com to enable msquic interop)";

    /// <summary>The hq-interop ALPN (TESTCASES.md §4).</summary>
    public const string HqInteropAlpn = "hq-interop";

    /// <summary>True when System.Net.Quic works here (both the client and the listener side).</summary>
    [SupportedOSPlatformGuard("linux")]
    [SupportedOSPlatformGuard("windows")]
    [SupportedOSPlatformGuard("macos")]
    public static bool IsAvailable => (OperatingSystem.IsLinux() || OperatingSystem.IsWindows() || OperatingSystem.IsMacOS())
                                      && QuicConnection.IsSupported && QuicListener.IsSupported;

    /// <summary>Null when available, else why not and how to fix it.</summary>
    public static string? UnavailableReason =>
        IsAvailable ? null
        : OperatingSystem.IsLinux() || OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? NotInstalledMessage
        : "System.Net.Quic does not support " + System.Runtime.InteropServices.RuntimeInformation.OSDescription;

    /// <summary>Throws <see cref="PlatformNotSupportedException"/> with <see cref="UnavailableReason"/> when unavailable.</summary>
    public static void ThrowIfUnavailable()
    {
        if (!IsAvailable) throw new PlatformNotSupportedException(UnavailableReason);
    }
}
