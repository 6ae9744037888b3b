using System.Net;

namespace Transport.Interop.Matrix;

/// <summary>A running server endpoint of a cell.</summary>
public interface IMatrixServer : IAsyncDisposable
{
    /// <summary>Where it listens.</summary>
    IPEndPoint EndPoint { get; }

    /// <summary>Further addresses it serves on (connectionmigration's preferred address), else empty.</summary>
    IReadOnlyList<IPEndPoint> MoreEndPoints { get; }

    /// <summary>Its SSLKEYLOGFILE, or null.</summary>
    string? KeyLogPath { get; }

    /// <summary>Its exit code once it has exited (127 = unsupported), else null.</summary>
    int? ExitCode { get; }

    /// <summary>The end of its stderr, for messages.</summary>
    string ErrorTail();
}
