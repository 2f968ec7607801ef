fn main() {
    println!("pinlab");
}
