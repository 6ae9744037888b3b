using System.Net;
using System.Net.Quic;

namespace Transport.Bench.Tour;

/// <summary>
/// System.Net.Quic (msquic underneath). Runs only where <see cref="QuicConnection.IsSupported"/> says libmsquic is
/// present; otherwise its rows read "not available (libmsquic not installed)". The adapter over
/// QuicListener/QuicConnection/QuicStream is the next step; until then a machine with libmsquic sees it as
/// "adapter not written yet" rather than figures.
/// </summary>
internal sealed class SystemNetQuicContender : ITransportContender
{
    public string Name => "System.Net.Quic";

    public ContenderAvailability Availability
    {
        get
        {
            // QuicConnection.IsSupported is the platform guard CA1416 understands (it is annotated with
            // SupportedOSPlatformGuard for Linux, Windows and macOS), so no warning needs suppressing.
            if (!(OperatingSystem.IsLinux() || OperatingSystem.IsWindows() || OperatingSystem.IsMacOS()) || !QuicConnection.IsSupported)
                return ContenderAvailability.Unavailable("not available (libmsquic not installed)");
            return ContenderAvailability.Unavailable("libmsquic present, but the tour's System.Net.Quic adapter is not written yet");
        }
    }

    public Task<ITourServer> StartServerAsync(TourStreamHandler handler, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{Name}: {Availability.Reason}.");

    public Task<ITourConnection> ConnectAsync(EndPoint server, CancellationToken cancellationToken) =>
        throw new NotSupportedException($"{Name}: {Availability.Reason}.");
}
