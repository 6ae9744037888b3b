namespace Transport.Interop.Matrix;

/// <summary>An implementation's two roles, driven the runner's way (TESTCASE, REQUESTS, directories, exit codes).</summary>
public abstract class MatrixEndpoint
{
    /// <summary>Null when usable here; else why not (shown in its cells as "unavailable").</summary>
    public abstract string? UnavailableReason { get; }

    /// <summary>Starts the server role and waits until it answers the runner's Version Negotiation probe.</summary>
    public abstract Task<ServerStart> StartServerAsync(ServerRequest request, CancellationToken cancellationToken);

    /// <summary>Runs the client role to its exit or the deadline.</summary>
    public abstract Task<ClientRun> RunClientAsync(ClientRequest request, CancellationToken cancellationToken);

    /// <summary>The driver for <paramref name="implementation"/>.</summary>
    public static MatrixEndpoint For(MatrixImplementation implementation) => implementation switch
    {
        MatrixImplementation.Ours => new OurEndpoint(),
        MatrixImplementation.Ngtcp2 => new Ngtcp2Endpoint(),
        MatrixImplementation.Msquic => new MsquicEndpoint(),
        _ => throw new ArgumentOutOfRangeException(nameof(implementation)),
    };
}
