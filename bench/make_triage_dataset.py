"""Write bench/data/triage_dataset.jsonl: short labelled tickets in seven languages, the same every run.

    python bench/make_triage_dataset.py [--count 1400]

Each line is {"subject", "body", "language", "category", "priority"}. The
text is assembled from small phrase banks (written for this project) with a
seeded random generator, so the file only changes when this script does.
The bench and tests/helpdesk/test_triage_classifier.py train on one part
and measure accuracy on the rest.
"""

import argparse
import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "triage_dataset.jsonl"

# category -> language -> (subjects, details)
PHRASES = {
    "billing": {
        "en": (
            ["Payment failed", "Charged twice this month", "Invoice shows the wrong amount", "Refund not received"],
            [
                "my card payment was declined at checkout",
                "the invoice lists more seats than we have",
                "we were billed twice for the same plan",
                "the refund you promised has not arrived",
            ],
        ),
        "es": (
            [
                "El pago ha fallado",
                "Cobro duplicado este mes",
                "La factura tiene un importe incorrecto",
                "No he recibido el reembolso",
            ],
            [
                "el pago con mi tarjeta fue rechazado",
                "la factura incluye más licencias de las que tenemos",
                "nos han cobrado dos veces el mismo plan",
                "el reembolso prometido no ha llegado",
            ],
        ),
        "fr": (
            [
                "Le paiement a échoué",
                "Prélevé deux fois ce mois-ci",
                "Montant de la facture incorrect",
                "Remboursement non reçu",
            ],
            [
                "le paiement par carte a été refusé",
                "la facture compte plus de licences que prévu",
                "nous avons été facturés deux fois",
                "le remboursement annoncé n'est pas arrivé",
            ],
        ),
        "de": (
            [
                "Zahlung fehlgeschlagen",
                "Diesen Monat doppelt abgebucht",
                "Rechnungsbetrag ist falsch",
                "Erstattung nicht erhalten",
            ],
            [
                "die Kartenzahlung wurde abgelehnt",
                "auf der Rechnung stehen mehr Lizenzen als wir haben",
                "der Tarif wurde zweimal abgebucht",
                "die zugesagte Erstattung ist nicht angekommen",
            ],
        ),
        "pt": (
            [
                "O pagamento falhou",
                "Cobrança em duplicado este mês",
                "Valor da fatura errado",
                "Reembolso não recebido",
            ],
            [
                "o pagamento com cartão foi recusado",
                "a fatura tem mais licenças do que temos",
                "fomos cobrados duas vezes pelo plano",
                "o reembolso prometido não chegou",
            ],
        ),
        "ja": (
            ["支払いが失敗しました", "今月二重に請求されました", "請求書の金額が違います", "返金がまだです"],
            [
                "カードでの支払いが拒否されました",
                "請求書のライセンス数が多すぎます",
                "同じプランで二回請求されています",
                "約束された返金が届いていません",
            ],
        ),
        "zh-hans": (
            ["付款失败", "本月重复扣款", "发票金额不对", "没有收到退款"],
            ["信用卡付款被拒绝了", "发票上的席位比我们实际的多", "同一个套餐被扣了两次款", "承诺的退款还没有到账"],
        ),
    },
    "account-access": {
        "en": (
            [
                "Cannot sign in",
                "Locked out of my account",
                "Password reset email never arrives",
                "Two-factor code rejected",
            ],
            [
                "the login page says my password is wrong",
                "my account was locked after a few attempts",
                "the reset link never reaches my inbox",
                "the authenticator code is always refused",
            ],
        ),
        "es": (
            [
                "No puedo iniciar sesión",
                "Mi cuenta está bloqueada",
                "No llega el correo para restablecer la contraseña",
                "El código de verificación no funciona",
            ],
            [
                "la página de acceso dice que la contraseña es incorrecta",
                "la cuenta se bloqueó tras varios intentos",
                "el enlace para cambiar la contraseña no llega",
                "el código de doble factor siempre es rechazado",
            ],
        ),
        "fr": (
            [
                "Impossible de me connecter",
                "Compte verrouillé",
                "Le mail de réinitialisation n'arrive pas",
                "Code de double authentification refusé",
            ],
            [
                "la page de connexion dit que le mot de passe est faux",
                "mon compte a été verrouillé après plusieurs essais",
                "le lien de réinitialisation n'arrive jamais",
                "le code de l'application est toujours refusé",
            ],
        ),
        "de": (
            [
                "Anmeldung nicht möglich",
                "Konto gesperrt",
                "E-Mail zum Zurücksetzen kommt nicht an",
                "Bestätigungscode wird abgelehnt",
            ],
            [
                "die Anmeldeseite meldet ein falsches Passwort",
                "das Konto wurde nach mehreren Versuchen gesperrt",
                "der Link zum Zurücksetzen kommt nie an",
                "der Code aus der App wird immer abgelehnt",
            ],
        ),
        "pt": (
            [
                "Não consigo entrar na conta",
                "Conta bloqueada",
                "O email de redefinição de senha não chega",
                "Código de verificação recusado",
            ],
            [
                "a página de login diz que a senha está errada",
                "a conta foi bloqueada após algumas tentativas",
                "o link para redefinir a senha nunca chega",
                "o código de dois fatores é sempre recusado",
            ],
        ),
        "ja": (
            [
                "ログインできません",
                "アカウントがロックされました",
                "パスワード再設定のメールが届きません",
                "認証コードが通りません",
            ],
            [
                "パスワードが違うと表示されます",
                "何回か試したらアカウントがロックされました",
                "再設定リンクが届きません",
                "二段階認証のコードが拒否されます",
            ],
        ),
        "zh-hans": (
            ["无法登录", "账户被锁定", "收不到重置密码的邮件", "验证码被拒绝"],
            ["登录页面提示密码错误", "尝试几次后账户被锁定了", "重置链接一直收不到", "双重验证的代码总是被拒绝"],
        ),
    },
    "bug-report": {
        "en": (
            ["Export crashes", "Error 500 when saving", "Report shows wrong numbers", "Button does nothing"],
            [
                "the export stops halfway with an error",
                "saving the form returns a server error",
                "the monthly report totals do not add up",
                "clicking the save button has no effect",
            ],
        ),
        "es": (
            [
                "La exportación se bloquea",
                "Error 500 al guardar",
                "El informe muestra cifras erróneas",
                "El botón no hace nada",
            ],
            [
                "la exportación se detiene a mitad con un error",
                "al guardar el formulario aparece un error del servidor",
                "los totales del informe mensual no cuadran",
                "al pulsar el botón de guardar no pasa nada",
            ],
        ),
        "fr": (
            [
                "L'export plante",
                "Erreur 500 à l'enregistrement",
                "Le rapport affiche de mauvais chiffres",
                "Le bouton ne fait rien",
            ],
            [
                "l'export s'arrête au milieu avec une erreur",
                "l'enregistrement du formulaire renvoie une erreur serveur",
                "les totaux du rapport mensuel sont faux",
                "le bouton enregistrer ne réagit pas",
            ],
        ),
        "de": (
            [
                "Export stürzt ab",
                "Fehler 500 beim Speichern",
                "Bericht zeigt falsche Zahlen",
                "Schaltfläche reagiert nicht",
            ],
            [
                "der Export bricht mit einem Fehler ab",
                "beim Speichern kommt ein Serverfehler",
                "die Summen im Monatsbericht stimmen nicht",
                "der Speichern-Knopf tut nichts",
            ],
        ),
        "pt": (
            ["A exportação trava", "Erro 500 ao guardar", "O relatório mostra números errados", "O botão não faz nada"],
            [
                "a exportação para a meio com um erro",
                "ao guardar o formulário aparece um erro do servidor",
                "os totais do relatório mensal não batem",
                "clicar no botão guardar não tem efeito",
            ],
        ),
        "ja": (
            ["エクスポートが落ちます", "保存時に500エラー", "レポートの数字がおかしい", "ボタンが反応しません"],
            [
                "エクスポートが途中でエラーになります",
                "フォームを保存するとサーバーエラーになります",
                "月次レポートの合計が合いません",
                "保存ボタンを押しても何も起きません",
            ],
        ),
        "zh-hans": (
            ["导出崩溃", "保存时出现500错误", "报表数字不对", "按钮没有反应"],
            ["导出到一半就报错", "保存表单时服务器报错", "月度报表的合计对不上", "点击保存按钮没有任何反应"],
        ),
    },
    "connectivity": {
        "en": (
            ["Service is down", "Site not loading", "API timing out", "Very slow since this morning"],
            [
                "nothing loads and we get a gateway error",
                "the dashboard never finishes loading",
                "every API call times out after thirty seconds",
                "pages take a minute to open",
            ],
        ),
        "es": (
            ["El servicio está caído", "La web no carga", "La API no responde", "Muy lento desde esta mañana"],
            [
                "no carga nada y aparece un error de pasarela",
                "el panel nunca termina de cargar",
                "todas las llamadas a la API caducan",
                "las páginas tardan un minuto en abrirse",
            ],
        ),
        "fr": (
            ["Le service est en panne", "Le site ne charge pas", "L'API ne répond plus", "Très lent depuis ce matin"],
            [
                "rien ne charge et une erreur de passerelle s'affiche",
                "le tableau de bord ne finit jamais de charger",
                "chaque appel à l'API expire",
                "les pages mettent une minute à s'ouvrir",
            ],
        ),
        "de": (
            ["Dienst ist ausgefallen", "Seite lädt nicht", "API antwortet nicht", "Seit heute früh sehr langsam"],
            [
                "nichts lädt und es kommt ein Gateway-Fehler",
                "das Dashboard lädt nie fertig",
                "jeder API-Aufruf läuft in eine Zeitüberschreitung",
                "die Seiten brauchen eine Minute",
            ],
        ),
        "pt": (
            ["O serviço está em baixo", "O site não carrega", "A API não responde", "Muito lento desde esta manhã"],
            [
                "nada carrega e aparece um erro de gateway",
                "o painel nunca acaba de carregar",
                "todas as chamadas à API expiram",
                "as páginas demoram um minuto a abrir",
            ],
        ),
        "ja": (
            ["サービスが停止しています", "サイトが表示されません", "APIがタイムアウトします", "今朝からとても遅いです"],
            [
                "何も読み込まれずゲートウェイエラーになります",
                "ダッシュボードが読み込み終わりません",
                "APIの呼び出しがすべてタイムアウトします",
                "ページを開くのに一分かかります",
            ],
        ),
        "zh-hans": (
            ["服务中断了", "网站打不开", "接口超时", "从早上开始非常慢"],
            ["什么都加载不出来，提示网关错误", "仪表盘一直加载不完", "每次调用接口都超时", "页面要一分钟才能打开"],
        ),
    },
    "feature-request": {
        "en": (
            [
                "Feature request: dark mode",
                "Could you add a calendar view",
                "Suggestion for exports",
                "Please support single sign-on",
            ],
            [
                "it would help us to have a dark theme",
                "a calendar view would make planning easier",
                "we would like to export to spreadsheets",
                "we would love to sign in with our company directory",
            ],
        ),
        "es": (
            [
                "Sugerencia: modo oscuro",
                "¿Podrían añadir una vista de calendario?",
                "Idea para las exportaciones",
                "Nos gustaría inicio de sesión único",
            ],
            [
                "nos vendría bien un tema oscuro",
                "una vista de calendario facilitaría la planificación",
                "nos gustaría exportar a hojas de cálculo",
                "queremos entrar con el directorio de la empresa",
            ],
        ),
        "fr": (
            [
                "Suggestion : mode sombre",
                "Pourriez-vous ajouter une vue calendrier",
                "Idée pour les exports",
                "Merci de prendre en charge l'authentification unique",
            ],
            [
                "un thème sombre nous serait utile",
                "une vue calendrier faciliterait la planification",
                "nous aimerions exporter vers un tableur",
                "nous voudrions nous connecter avec l'annuaire de l'entreprise",
            ],
        ),
        "de": (
            [
                "Wunsch: Dunkelmodus",
                "Könnt ihr eine Kalenderansicht ergänzen",
                "Vorschlag für Exporte",
                "Bitte Single Sign-on unterstützen",
            ],
            [
                "ein dunkles Design wäre hilfreich",
                "eine Kalenderansicht würde die Planung erleichtern",
                "wir möchten in Tabellen exportieren",
                "wir möchten uns mit dem Firmenverzeichnis anmelden",
            ],
        ),
        "pt": (
            [
                "Sugestão: modo escuro",
                "Podiam adicionar uma vista de calendário",
                "Ideia para as exportações",
                "Gostávamos de ter início de sessão único",
            ],
            [
                "um tema escuro dava-nos jeito",
                "uma vista de calendário facilitava o planeamento",
                "queremos exportar para folhas de cálculo",
                "queremos entrar com o diretório da empresa",
            ],
        ),
        "ja": (
            [
                "機能要望：ダークモード",
                "カレンダー表示を追加してほしい",
                "エクスポートについての提案",
                "シングルサインオンに対応してください",
            ],
            [
                "ダークテーマがあると助かります",
                "カレンダー表示があれば計画が楽になります",
                "表計算ソフトに書き出したいです",
                "社内ディレクトリでログインしたいです",
            ],
        ),
        "zh-hans": (
            ["功能建议：深色模式", "能否增加日历视图", "关于导出的建议", "希望支持单点登录"],
            ["有深色主题会很方便", "日历视图能让计划更轻松", "我们想导出到表格", "希望能用公司目录登录"],
        ),
    },
    "how-to": {
        "en": (
            [
                "How do I add a colleague",
                "Where can I change my language",
                "How to set up notifications",
                "Question about user roles",
            ],
            [
                "I cannot find where to invite a new user",
                "where is the language setting",
                "how can I get an email when something changes",
                "what can an administrator do that others cannot",
            ],
        ),
        "es": (
            [
                "¿Cómo añado a un compañero?",
                "¿Dónde cambio el idioma?",
                "Cómo configurar las notificaciones",
                "Pregunta sobre los roles",
            ],
            [
                "no encuentro dónde invitar a un usuario nuevo",
                "dónde está la opción de idioma",
                "cómo recibo un correo cuando algo cambia",
                "qué puede hacer un administrador que otros no",
            ],
        ),
        "fr": (
            [
                "Comment ajouter un collègue",
                "Où changer la langue",
                "Comment configurer les notifications",
                "Question sur les rôles",
            ],
            [
                "je ne trouve pas où inviter un nouvel utilisateur",
                "où se trouve le réglage de la langue",
                "comment recevoir un mail quand quelque chose change",
                "que peut faire un administrateur de plus",
            ],
        ),
        "de": (
            [
                "Wie füge ich einen Kollegen hinzu",
                "Wo ändere ich die Sprache",
                "Benachrichtigungen einrichten",
                "Frage zu Benutzerrollen",
            ],
            [
                "ich finde nicht, wo man neue Benutzer einlädt",
                "wo ist die Spracheinstellung",
                "wie bekomme ich eine E-Mail bei Änderungen",
                "was darf ein Administrator zusätzlich",
            ],
        ),
        "pt": (
            [
                "Como adiciono um colega",
                "Onde mudo o idioma",
                "Como configurar as notificações",
                "Dúvida sobre as funções",
            ],
            [
                "não encontro onde convidar um novo utilizador",
                "onde fica a opção de idioma",
                "como recebo um email quando algo muda",
                "o que pode um administrador fazer a mais",
            ],
        ),
        "ja": (
            ["同僚を追加する方法", "言語の変更場所", "通知の設定方法", "ユーザー権限についての質問"],
            [
                "新しいユーザーを招待する場所が見つかりません",
                "言語の設定はどこですか",
                "変更があったときにメールを受け取るには",
                "管理者だけができることは何ですか",
            ],
        ),
        "zh-hans": (
            ["如何添加同事", "在哪里更改语言", "如何设置通知", "关于用户角色的问题"],
            ["找不到邀请新用户的地方", "语言设置在哪里", "有变化时怎样收到邮件", "管理员比其他人多哪些权限"],
        ),
    },
    "security": {
        "en": (
            [
                "Suspicious login on our account",
                "Possible data leak",
                "Phishing email using your name",
                "Security vulnerability report",
            ],
            [
                "someone signed in from a country we never visit",
                "customer data seems to have leaked",
                "our staff got a phishing email pretending to be you",
                "I found a vulnerability that exposes other accounts",
            ],
        ),
        "es": (
            [
                "Acceso sospechoso a nuestra cuenta",
                "Posible filtración de datos",
                "Correo de phishing con su nombre",
                "Informe de vulnerabilidad de seguridad",
            ],
            [
                "alguien entró desde un país desconocido",
                "parece que se han filtrado datos de clientes",
                "recibimos un correo de phishing haciéndose pasar por ustedes",
                "encontré una vulnerabilidad que expone otras cuentas",
            ],
        ),
        "fr": (
            [
                "Connexion suspecte sur notre compte",
                "Possible fuite de données",
                "Mail de phishing à votre nom",
                "Signalement d'une faille de sécurité",
            ],
            [
                "quelqu'un s'est connecté depuis un pays inconnu",
                "des données clients semblent avoir fuité",
                "nous avons reçu un mail de phishing à votre nom",
                "j'ai trouvé une faille qui expose d'autres comptes",
            ],
        ),
        "de": (
            [
                "Verdächtige Anmeldung bei unserem Konto",
                "Mögliches Datenleck",
                "Phishing-Mail in Ihrem Namen",
                "Meldung einer Sicherheitslücke",
            ],
            [
                "jemand hat sich aus einem fremden Land angemeldet",
                "Kundendaten scheinen abgeflossen zu sein",
                "wir haben eine Phishing-Mail in Ihrem Namen bekommen",
                "ich habe eine Sicherheitslücke gefunden",
            ],
        ),
        "pt": (
            [
                "Acesso suspeito à nossa conta",
                "Possível vazamento de dados",
                "Email de phishing com o vosso nome",
                "Relatório de vulnerabilidade de segurança",
            ],
            [
                "alguém entrou a partir de um país desconhecido",
                "parece que dados de clientes foram expostos",
                "recebemos um email de phishing em vosso nome",
                "encontrei uma vulnerabilidade que expõe outras contas",
            ],
        ),
        "ja": (
            [
                "不審なログインがありました",
                "情報漏洩の可能性",
                "御社を装ったフィッシングメール",
                "セキュリティの脆弱性の報告",
            ],
            [
                "知らない国からログインされています",
                "顧客データが漏れているようです",
                "御社の名前でフィッシングメールが届きました",
                "他のアカウントが見える脆弱性を見つけました",
            ],
        ),
        "zh-hans": (
            ["账户出现可疑登录", "可能的数据泄露", "冒用贵公司名义的钓鱼邮件", "安全漏洞报告"],
            [
                "有人从陌生的国家登录了",
                "客户数据似乎泄露了",
                "员工收到冒充你们的钓鱼邮件",
                "我发现了一个能看到其他账户的漏洞",
            ],
        ),
    },
}
# language -> (openers, closers, urgent phrases)
FRAMES = {
    "en": (
        ["Hello,", "Hi team,", "Good morning,", ""],
        ["Thanks.", "Regards.", "Can you help?", ""],
        ["This is urgent.", "We are blocked."],
    ),
    "es": (
        ["Hola,", "Buenos días,", "Hola equipo,", ""],
        ["Gracias.", "Saludos.", "¿Pueden ayudarnos?", ""],
        ["Es urgente.", "Estamos bloqueados."],
    ),
    "fr": (
        ["Bonjour,", "Bonjour à tous,", "Salut,", ""],
        ["Merci.", "Cordialement.", "Pouvez-vous nous aider ?", ""],
        ["C'est urgent.", "Nous sommes bloqués."],
    ),
    "de": (
        ["Hallo,", "Guten Tag,", "Liebes Team,", ""],
        ["Danke.", "Viele Grüße.", "Können Sie helfen?", ""],
        ["Es ist dringend.", "Wir sind blockiert."],
    ),
    "pt": (
        ["Olá,", "Bom dia,", "Olá equipa,", ""],
        ["Obrigado.", "Cumprimentos.", "Podem ajudar?", ""],
        ["É urgente.", "Estamos bloqueados."],
    ),
    "ja": (
        ["こんにちは。", "お世話になっております。", ""],
        ["よろしくお願いします。", "ご確認ください。", ""],
        ["至急対応してください。", "業務が止まっています。"],
    ),
    "zh-hans": (["你好，", "您好，", ""], ["谢谢。", "请帮忙处理。", ""], ["很紧急。", "我们的工作停下来了。"]),
}
BASE_PRIORITY = {"security": 1, "connectivity": 2, "feature-request": 4, "how-to": 4}


def _first_upper(text):
    return text[:1].upper() + text[1:]


def make(count, seed=9):
    rng = random.Random(seed)
    categories = sorted(PHRASES)
    languages = sorted(FRAMES)
    rows = []
    for n in range(count):
        category = categories[n % len(categories)]
        language = languages[(n // len(categories)) % len(languages)]
        subjects, details = PHRASES[category][language]
        openers, closers, urgent = FRAMES[language]
        is_urgent = rng.random() < 0.3 and category not in ("feature-request", "how-to")
        end = "。" if language in ("ja", "zh-hans") else "."
        parts = [rng.choice(openers), _first_upper(rng.choice(details)) + end]
        if rng.random() < 0.5:
            parts.append(_first_upper(rng.choice(details)) + end)
        if rng.random() < 0.2:
            # A sentence about something else, as real tickets have: the label stays with the main topic.
            other = rng.choice([c for c in categories if c != category])
            parts.append(_first_upper(rng.choice(PHRASES[other][language][1])) + end)
        if is_urgent:
            parts.append(rng.choice(urgent))
        parts.append(rng.choice(closers))
        sep = "" if language in ("ja", "zh-hans") else " "
        priority = BASE_PRIORITY.get(category, 3)
        if is_urgent:
            priority = max(1, min(priority, 3) - 1)
        rows.append(
            {
                "subject": rng.choice(subjects),
                "body": sep.join(p for p in parts if p),
                "language": language,
                "category": category,
                "priority": priority,
            }
        )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1400)
    args = parser.parse_args()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8") as out:
        for row in make(args.count):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {args.count} tickets to {OUT}")


if __name__ == "__main__":
    main()
