using Transport.Interop.Endpoint;

namespace Transport.Interop;

/// <summary>
/// The QUIC Interop Runner endpoint (../shared/interop/TESTCASES.md §2; Endpoint/README.md): ROLE, TESTCASE,
/// REQUESTS, ... from the environment. Subcommands come first.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "matrix") return Matrix.MatrixCommand.Run(args[1..]);
        if (args.Length > 0 && args[0] == "relay") return InteropEndpoint.RunUntilSignal(token => Relay.RelayCommand.Run(args[1..], Console.Error, token));
        return InteropEndpoint.Run();
    }
}
