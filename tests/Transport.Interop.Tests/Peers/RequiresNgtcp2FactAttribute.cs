using Transport.Interop.Peers;

namespace Transport.Interop.Tests.Peers;

/// <summary>A fact that skips with "ngtcp2 not installed: apt-get install ngtcp2-client ngtcp2-server" when gtlsclient or gtlsserver is absent.</summary>
public sealed class RequiresNgtcp2FactAttribute : FactAttribute
{
    public RequiresNgtcp2FactAttribute()
    {
        if (!Ngtcp2.IsInstalled) Skip = Ngtcp2.NotInstalledMessage;
    }
}
