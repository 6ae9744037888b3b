namespace Transport.Core.Tests.Udp;

/// <summary>A theory that runs only on Linux, where recvmmsg, sendmmsg, GSO/GRO and the native sockaddr layout exist.</summary>
public sealed class LinuxTheoryAttribute : TheoryAttribute
{
    public LinuxTheoryAttribute()
    {
        if (!OperatingSystem.IsLinux())
            Skip = "Linux-only: recvmmsg/sendmmsg, UDP GSO/GRO and IP_TOS control messages are Linux features.";
    }
}
