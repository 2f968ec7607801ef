fn main() {
    yew::Renderer::<mm_web::App>::new().render();
}
