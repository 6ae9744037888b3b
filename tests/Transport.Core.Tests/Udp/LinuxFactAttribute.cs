namespace Transport.Core.Tests.Udp;

/// <summary>A fact that runs only on Linux, where GSO/GRO and the native sockaddr layout exist.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
            Skip = "Linux-only: UDP GSO/GRO, IP_RECVERR and the native sockaddr layout are Linux features.";
    }
}
