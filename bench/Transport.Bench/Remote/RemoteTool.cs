using System.Net;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Transport.Bench.Tour;

namespace Transport.Bench.Remote;

/// <summary>
/// The <c>server</c> and <c>client</c> commands: measurements between two hosts in the manner of iperf3 and msquic's
/// secnetperf, over Transport's QUIC (perf protocol), kernel TCP and TCP+TLS 1.3. See Remote/README.md.
/// </summary>
internal static class RemoteTool
{
    public static int Server(string[] args)
    {
        RemoteServerOptions? options = RemoteServerOptions.Parse(args, out string? error);
        if (options is null)
        {
            Console.Error.WriteLine($"server: {error}\n\n{RemoteServerOptions.Usage}");
            return 2;
        }
        if (options.Help)
        {
            Console.WriteLine(RemoteServerOptions.Usage);
            return 0;
        }
        X509Certificate2 certificate;
        try
        {
            certificate = options.CertificatePath is null
                ? TourTls.CreateCertificate()
                : X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"server: cannot load the certificate '{options.CertificatePath}': {e.Message}");
            return 2;
        }
        if (!certificate.HasPrivateKey)
        {
            Console.Error.WriteLine($"server: the certificate '{options.CertificatePath}' has no private key");
            return 2;
        }

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        // SIGTERM (kill, systemd, a background job that ignores SIGINT) stops it the same way.
        using PosixSignalRegistration terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        var gate = new object();
        void Log(string line)
        {
            lock (gate) Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
        }
        PerfServer server;
        try
        {
            server = PerfServer.StartAsync(options, certificate, Log, stop.Token).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"server: cannot listen on {options.Bind} port {options.Port}: {e.Message}");
            return 1;
        }
        string fingerprint = RemoteNames.Fingerprint(SHA256.HashData(certificate.RawData));
        Console.WriteLine($"Transport.Bench server: QUIC (ALPN \"{PerfFraming.Alpn}\", {options.CongestionControl}) on udp {server.QuicEndPoint}, kernel TCP and TCP+TLS 1.3 on tcp {server.TcpEndPoint}");
        Console.WriteLine($"certificate: {(options.CertificatePath is null ? "self-signed, made now" : options.CertificatePath)}, {certificate.Subject}, SHA-256 {fingerprint}");
        Console.WriteLine($"client: dotnet run -c Release --project bench/Transport.Bench -- client --target <this host>:{server.QuicEndPoint.Port} --pin {fingerprint.Replace(":", "", StringComparison.Ordinal)}");
        Console.WriteLine("Ctrl+C (or SIGTERM) stops.");
        try
        {
            Task.Delay(Timeout.Infinite, stop.Token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }
        Console.WriteLine($"stopping: {server.ConnectionsServed} connections, {server.StreamsServed} streams served, {server.StreamsFailed} failed");
        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        certificate.Dispose();
        return 0;
    }

    public static int Client(string[] args)
    {
        RemoteClientOptions? options = RemoteClientOptions.Parse(args, out string? error);
        if (options is null)
        {
            Console.Error.WriteLine($"client: {error}\n\n{RemoteClientOptions.Usage}");
            return 2;
        }
        if (options.Help)
        {
            Console.WriteLine(RemoteClientOptions.Usage);
            return 0;
        }
        return ClientAsync(options).GetAwaiter().GetResult();
    }

    private static async Task<int> ClientAsync(RemoteClientOptions options)
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        IPEndPoint server;
        try
        {
            server = await RemoteClient.ResolveAsync(options.Host, options.Port, stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ArgumentException)
        {
            Console.Error.WriteLine($"client: cannot resolve '{options.Host}': {e.Message}");
            return 2;
        }

        MachineInfo machine = MachineInfo.Current();
        string directory = options.ResultsDirectory ?? Path.Combine(TourRunner.RepositoryRoot(), "results", "remote", machine.Date.ToString("yyyyMMdd-HHmmss"));
        Directory.CreateDirectory(directory);

        var markdown = new StringBuilder();
        markdown.Append("# Transport remote measurements\n\n");
        markdown.Append($"{machine.Date:yyyy-MM-dd HH:mm} UTC · client: {machine.Cores} cores · {machine.Os} · {machine.Architecture} · {machine.DotNet}");
        if (machine.LoadAverage is not null) markdown.Append($" · load average {machine.LoadAverage}");
        markdown.Append("\n\n");
        markdown.Append($"Server {options.Host} ({server}); certificate {(options.Pin is not null ? "pinned by SHA-256" : "NOT AUTHENTICATED (--insecure)")}; ");
        markdown.Append($"QUIC congestion control {options.CongestionControl} (client side; the server uses its own --cc), ");
        markdown.Append($"TCP congestion control {(options.CongestionControlGiven ? RemoteNames.KernelName(options.CongestionControl) : RemoteSockets.KernelDefault() + " (kernel default)")} on the client; ");
        markdown.Append($"QUIC datagrams of {options.MaxDatagramSize} B. CPU figures are this client process only. Protocols run one after the other, ratios are to {RemoteClient.Reference} in this run.\n\n");
        Console.Write(markdown.ToString());

        var progress = new ProgressLine("remote");
        void Log(string line) => Console.Error.WriteLine(line);
        List<TourTable> tables = await RemoteClient.MeasureAsync(options, server, progress, Log, stop.Token).ConfigureAwait(false);
        progress.Done("done");
        foreach (TourTable table in tables)
        {
            string text = table.Id == "remote-ratios" ? RemoteClient.RenderRatios(table) + "\n" : MarkdownTableWriter.Render(table, RemoteClient.Reference) + "\n";
            Console.Write(text);
            markdown.Append(text);
            await File.WriteAllTextAsync(Path.Combine(directory, table.Id + ".svg"), SvgBarChart.Render(table, RemoteClient.Reference)).ConfigureAwait(false);
        }
        await File.WriteAllTextAsync(Path.Combine(directory, "tables.md"), markdown.ToString()).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(directory, "results.json"), RemoteClient.RenderJson(machine, options, server, tables)).ConfigureAwait(false);
        Console.Error.WriteLine($"client: results written to {Path.GetFullPath(directory)}");
        return tables.Exists(t => t.Rows.Exists(r => r.Error is not null)) ? 1 : 0;
    }
}
