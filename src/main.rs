fn main() {
    std::process::exit(downlink::cli::main());
}
