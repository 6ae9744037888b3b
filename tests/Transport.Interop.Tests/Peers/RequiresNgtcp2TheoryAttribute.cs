using Transport.Interop.Peers;

namespace Transport.Interop.Tests.Peers;

/// <summary>A theory that skips with the ngtcp2 install hint when gtlsclient or gtlsserver is absent.</summary>
public sealed class RequiresNgtcp2TheoryAttribute : TheoryAttribute
{
    public RequiresNgtcp2TheoryAttribute()
    {
        if (!Ngtcp2.IsInstalled) Skip = Ngtcp2.NotInstalledMessage;
    }
}
