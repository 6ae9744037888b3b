using Transport.Interop.Msquic;

namespace Transport.Interop.Tests.Peers;

/// <summary>
/// A fact that skips with "libmsquic not installed (install the libmsquic package from packages.microsoft.com to
/// enable msquic interop)" when System.Net.Quic cannot run here.
/// </summary>
public sealed class RequiresMsquicFactAttribute : FactAttribute
{
    public RequiresMsquicFactAttribute()
    {
        if (!MsquicPeer.IsAvailable) Skip = MsquicPeer.UnavailableReason;
    }
}
