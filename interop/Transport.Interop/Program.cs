namespace Transport.Interop;

/// <summary>
/// The QUIC Interop Runner endpoint (see ../shared/interop/TESTCASES.md). No test case is supported yet: every
/// TESTCASE exits 127, which the runner reads as "unsupported".
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "matrix") return Matrix.MatrixCommand.Run(args[1..]);
        string testCase = Environment.GetEnvironmentVariable("TESTCASE") ?? "";
        Console.Error.WriteLine($"Transport.Interop: test case '{testCase}' is not supported yet.");
        return 127;
    }
}
